/**
 * Metrics over HTTP, on plain `node:http` types so that daemons built on express (master, agent)
 * and bare servers (scheduler daemons) use the same code:
 *
 * - `metricsMiddleware` answers `GET /metrics` (Prometheus text) and `GET /metrics/snapshot`
 *   (Mesos JSON), and counts and times every request passing through it, labelled with the
 *   route pattern the router matched (express sets `req.route`), never the raw path;
 * - `startMetricsServer` serves only those two endpoints on their own port.
 *
 * Requests are timed until the response headers are written: for an event stream that is when
 * the stream opened, not when it ended hours later.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './metrics.js';
import type { HttpMetricSpecs } from './names.js';
import type { Snapshot } from './mesos-snapshot.js';

/** A connect-style middleware; express accepts it as is. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** What a router leaves on the request once it matched a route (express: `req.route`). */
interface RoutedRequest extends IncomingMessage {
  route?: { readonly path?: unknown };
}

export interface MetricsEndpointOptions {
  readonly registry: MetricsRegistry;
  /** The daemon's HTTP specs (e.g. `MasterMetrics`); requests are not counted without them. */
  readonly http?: HttpMetricSpecs;
  /** Serves `/metrics/snapshot` when given. */
  readonly snapshot?: () => Promise<Snapshot>;
}

const METRICS_PATH = '/metrics';
const SNAPSHOT_PATH = '/metrics/snapshot';
/** The endpoint label of requests no route matched (404s), so probes of random paths cost one series. */
export const UNMATCHED_ENDPOINT = 'unmatched';

/** The matched route's pattern; for a route registered with several paths, the first one. */
function routeOf(req: RoutedRequest): string {
  const path = req.route?.path;
  if (typeof path === 'string') return path;
  if (Array.isArray(path) && typeof path[0] === 'string') return path[0];
  return UNMATCHED_ENDPOINT;
}

export function metricsMiddleware(options: MetricsEndpointOptions): Middleware {
  const { registry, http, snapshot } = options;
  const renderers = new Map<string, () => Promise<{ type: string; body: string }>>([
    [METRICS_PATH, async () => ({ type: registry.contentType, body: await registry.exposition() })],
  ]);
  if (snapshot !== undefined) {
    renderers.set(SNAPSHOT_PATH, async () => ({
      type: 'application/json',
      body: JSON.stringify(await snapshot()),
    }));
  }
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const render = renderers.get(path);
    if (http !== undefined) {
      const startMs = performance.now();
      onHeaders(res, () => {
        const endpoint = render === undefined ? routeOf(req) : path;
        const method = req.method ?? 'GET';
        registry.inc(http.httpRequestsTotal, { endpoint, method, code: String(res.statusCode) });
        registry.observe(
          http.httpRequestDurationSeconds,
          { endpoint, method },
          (performance.now() - startMs) / 1000,
        );
      });
    }
    if (render === undefined) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    render().then(
      ({ type, body }) =>
        res.writeHead(200, { 'Content-Type': type }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) =>
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics collection failed: ${String(err)}`),
    );
  };
}

/**
 * Runs `fn` once, when the response's headers are written (its status code is set by then).
 * Every response passes through `writeHead` (Node's implicit headers call it too), so wrapping it
 * catches all of them.
 */
function onHeaders(res: ServerResponse, fn: () => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    res.writeHead = writeHead;
    const written = writeHead.apply(this, args);
    fn();
    return written;
  } as typeof writeHead;
}

export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9105` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `/metrics` (and `/metrics/snapshot` if given) on its own port, e.g. for a scheduler daemon. */
export async function startMetricsServer(
  options: MetricsEndpointOptions & { readonly host: string; readonly port: number },
): Promise<MetricsServer> {
  const middleware = metricsMiddleware(options);
  const server = createServer((req, res) =>
    middleware(req, res, () => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
