/**
 * The agent's HTTP API: `/health`, `/version`, `/state`, `/flags`, `/monitor/statistics`,
 * `/files/read`, `/files/browse`, the operator API (`operator-api.ts`) and the executor API
 * (`executor-api.ts`), each also under Mesos's process prefix (`/slave(1)/state`), as Mesos tools
 * build both spellings.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { int } from '../core/v1/common.js';
import { parseWith } from '../core/validation.js';
import type { Logger } from '../log/logger.js';
import type { Middleware } from '../metrics/index.js';
import { handle } from '../transport/http-errors.js';
import { agentUrl } from './agent-config.js';
import { type ExecutorApi, executorApiRouter } from './executor-api.js';
import type { SandboxFiles } from './files.js';
import { agentOperatorRouter } from './operator-api.js';
import { type AgentStateInput, versionJson } from './state-json.js';

/** What the routes need from the running agent. */
export interface AgentHttpView {
  state(): Record<string, unknown>;
  flags(): Readonly<Record<string, string>>;
  statistics(): Promise<readonly Record<string, unknown>[]>;
  readonly files: SandboxFiles;
  /** The agent's bookkeeping, for the v1 operator API. */
  describe(): AgentStateInput;
  /** Custom executors, for the v1 executor API. */
  readonly executors: ExecutorApi;
}

export interface AgentHttpServer {
  /** Base URL for the master and frameworks (advertised address, real port). */
  readonly url: string;
  readonly port: number;
  /** Connects the routes to the agent; until then they answer 503. */
  attach(view: AgentHttpView): void;
  close(): Promise<void>;
}

export interface AgentHttpOptions {
  readonly ip: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly advertiseIp: string;
  readonly log: Logger;
  /** Runs before every route: serves `/metrics` and `/metrics/snapshot`, counts requests. */
  readonly middleware?: Middleware;
}

const PROCESS_PREFIXES = ['/slave(1)', '/slave%281%29'];

const offsetParam = int.pipe(z.number().min(-1, 'must be -1 (end of file) or a byte offset'));
const ReadQuery = z.object({
  path: z.string().min(1, "Expecting 'path=value' in query"),
  offset: offsetParam.default(-1),
  length: offsetParam.optional(),
});
const BrowseQuery = z.object({ path: z.string().min(1, "Expecting 'path=value' in query") });

/** Binds the server and resolves once it listens. */
export async function startAgentHttp(options: AgentHttpOptions): Promise<AgentHttpServer> {
  const log = options.log.child({ component: 'agent.http' });
  let view: AgentHttpView | undefined;
  const attached = (res: Response): AgentHttpView | undefined => {
    if (view === undefined) res.status(503).type('text/plain').send('Agent is starting');
    return view;
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(stripProcessPrefix);
  if (options.middleware !== undefined) app.use(options.middleware);
  app.use(agentOperatorRouter(() => view));
  app.use(executorApiRouter(() => view?.executors, log));
  app.get('/health', (_req, res) => void res.status(200).end());
  app.get(['/version', '/version.json'], (_req, res) => void res.json(versionJson()));
  app.get(['/state', '/state.json'], (_req, res) => void res.json(attached(res)?.state()));
  app.get(['/flags', '/flags.json'], (_req, res) => {
    const agent = attached(res);
    if (agent !== undefined) res.json({ flags: agent.flags() });
  });
  app.get(
    ['/monitor/statistics', '/monitor/statistics.json'],
    handle(async (_req, res) => {
      const agent = attached(res);
      if (agent !== undefined) res.json(await agent.statistics());
    }),
  );
  app.get(
    ['/files/read', '/files/read.json'],
    handle(async (req, res) => {
      const query = parseWith(ReadQuery, req.query, 'query');
      const agent = attached(res);
      if (agent !== undefined) res.json(await agent.files.read(query.path, query.offset, query.length));
    }),
  );
  app.get(
    ['/files/browse', '/files/browse.json'],
    handle(async (req, res) => {
      const query = parseWith(BrowseQuery, req.query, 'query');
      const agent = attached(res);
      if (agent !== undefined) res.json(await agent.files.browse(query.path));
    }),
  );
  app.use(
    (req, res) => void res.status(404).type('text/plain').send(`No endpoint '${req.method} ${req.path}'`),
  );

  const server = await listen(app, options.ip, options.port);
  const port = (server.address() as AddressInfo).port;
  const url = agentUrl(options.advertiseIp, port);
  log.info('agent http api listening', { ip: options.ip, port, url });
  return {
    url,
    port,
    attach: (v) => (view = v),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `/slave(1)/state` is `/state`: libprocess delegates the process prefix, so Mesos serves both. */
function stripProcessPrefix(req: Request, _res: Response, next: NextFunction): void {
  const prefix = PROCESS_PREFIXES.find(
    (p) => req.url === p || req.url.startsWith(`${p}/`) || req.url.startsWith(`${p}?`),
  );
  if (prefix !== undefined) {
    const rest = req.url.slice(prefix.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
  }
  next();
}

function listen(app: express.Express, ip: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, ip);
    server.once('listening', () => {
      server.removeListener('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}
