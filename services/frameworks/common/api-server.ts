/**
 * The REST server of a framework scheduler instance. It answers `/health` whatever the instance's
 * role; every other request goes to the framework's router on the leader, is redirected (307) to
 * the leader by a standby that knows it, and gets 503 while no leader is known or the leader is
 * still starting. GET and HEAD answers allow any origin (CORS), so the master's web UI can read
 * them. Only this file and the frameworks' `http-api.ts` import express.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Router } from 'express';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { invalidCall, MesoError } from '../../core/errors.js';
import { parseJsonText } from '../../core/validation.js';
import type { Logger } from '../../log/logger.js';
import { metricsMiddleware, type MetricsRegistry } from '../../metrics/index.js';
import { bodyErrorHandler, handle, rawTextBody, sendError } from '../../transport/http-errors.js';
import type { SchedulerLeadership } from './leadership.js';

/** Definitions are small; this bounds what a client can make the scheduler parse. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServer extends AsyncDisposable {
  /** The port listened on (the one asked for, or the one the OS picked for 0). */
  readonly port: number;
  /** Starts serving the framework's API (on the leader, once its state is loaded). */
  mount(router: Router): void;
  setLeadership(leadership: SchedulerLeadership): void;
  close(): Promise<void>;
}

export async function startApiServer(options: {
  readonly port: number;
  readonly listenHost: string;
  readonly log: Logger;
  /** Serves `GET /metrics` on every instance, leader or standby. */
  readonly metrics?: MetricsRegistry;
}): Promise<ApiServer> {
  let router: Router | undefined;
  let leadership: SchedulerLeadership | undefined;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.metrics !== undefined) app.use(metricsMiddleware({ registry: options.metrics }));
  // Reads may come from any page (the master's web UI shows `/v2/queue`); writes stay same-origin,
  // as a cross-origin POST/PUT/DELETE with a JSON body needs a preflight that is never granted.
  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ leader: leadership?.isLeader() ?? false, serving: router !== undefined });
  });
  app.get('/v1/leader', (_req, res) => {
    res.json({ leader: leadership?.leaderUrl() ?? null });
  });
  app.use(rawTextBody(MAX_BODY_BYTES), bodyErrorHandler);
  app.use((req, res, next) => {
    if (leadership?.isLeader() === true) {
      if (router !== undefined) {
        router(req, res, next);
        return;
      }
      sendError(res, new MesoError('NO_LEADER', 'this instance leads but is still loading its state'));
      return;
    }
    const leaderUrl = leadership?.leaderUrl();
    if (leaderUrl === undefined) {
      sendError(res, new MesoError('NO_LEADER', 'no scheduler instance leads yet'));
      return;
    }
    res.redirect(307, `${leaderUrl}${req.originalUrl}`);
  });
  app.use(
    handle(() => {
      throw new MesoError('NOT_FOUND', 'no such endpoint');
    }),
  );

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.listenHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info('api listening', { port });
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    mount: (r) => (router = r),
    setLeadership: (l) => (leadership = l),
    close,
    [Symbol.asyncDispose]: close,
  };
}

const YAML_TYPES = /yaml/i;

/**
 * The request body as a value: YAML when the content type says so (`application/yaml`,
 * `text/yaml`, ...), otherwise JSON. Errors are INVALID_CALL (400) naming the problem.
 */
export function definitionBody(req: Request, what: string): unknown {
  const body: unknown = req.body;
  if (typeof body !== 'string' || body.trim() === '')
    throw invalidCall(`expected a ${what} in the request body`);
  if (!YAML_TYPES.test(req.headers['content-type'] ?? '')) return parseJsonText(body, what);
  try {
    return parseYaml(body) as unknown;
  } catch (err) {
    if (err instanceof YAMLParseError) throw invalidCall(`Failed to parse ${what} as YAML: ${err.message}`);
    throw err;
  }
}

/** A route parameter that must be present (express types them as possibly undefined). */
export function routeParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || value === '') throw invalidCall(`missing path parameter '${name}'`);
  return value;
}
