/**
 * The cluster's front door: one HTTP port that always reaches the leading master, through
 * whichever master answers.
 *
 * Why it exists: a standby master names the leader by the name the leader advertises
 * (`Location: //master2:5050/...`, in its redirects and in `/master/redirect`). Inside the
 * cluster's network that name resolves; from the Docker host or a laptop's browser it does not,
 * so publishing one master's port would leave clients stranded whenever another master leads.
 * (Nor may a client stay on a standby: like Mesos's, a standby answers `/master/state` itself,
 * with an empty cluster.) The gateway lives inside the network and asks.
 *
 *   client ──> gateway ──GET /master/redirect──> any master ──307 //leader:5050──┐
 *                 └──────────── the request, replayed ──> leader ──> response streamed back
 *
 * Guarantees:
 * - Each request goes to the leader that a master names in answer to `/master/redirect`, asked
 *   just before: first the master that answered last, then the others in the configured order.
 *   A master that refuses the connection or answers 503 (no leader elected) is skipped, and so
 *   is one whose named leader does not answer. Redirects from the leader (it lost the leadership
 *   in between) are followed, up to `maxRedirects`.
 * - The request body is buffered (bounded by `maxBodyBytes`, 413 beyond) so it can be replayed on
 *   a redirect; the response is streamed, so RecordIO event streams (`SUBSCRIBE`) pass through
 *   for as long as both sides keep them open.
 * - A request is sent again only after a redirect, a 503, or no answer at all (refused, reset,
 *   timed out). In the last case a master may have acted on it before its connection broke, so a
 *   non-idempotent call can be applied twice, as when a client retries by itself.
 * - When no master gives an answer, the client gets 503 naming the masters tried.
 * - The gateway keeps no other state: any number of them may run, and a restart loses nothing.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../services/log/logger.js';

export interface LeaderGatewayOptions {
  /** Every master, as `host:port`, in the order they are tried. */
  readonly masters: readonly string[];
  /** Interface to listen on. @default "0.0.0.0" */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. @default 5050 */
  readonly port?: number;
  /** Redirects followed per master tried. @default 3 */
  readonly maxRedirects?: number;
  /** Largest request body accepted. @default 16 MiB */
  readonly maxBodyBytes?: number;
  /** How long a master may take to accept a connection and answer with headers. @default 5000 */
  readonly upstreamTimeoutMs?: number;
}

export interface LeaderGateway extends AsyncDisposable {
  /** `http://host:port` the gateway listens on. */
  readonly url: string;
  /** Stops accepting requests and closes open streams. */
  stop(): Promise<void>;
}

/** Path of the gateway's own liveness check; every other path goes to a master. */
export const GATEWAY_HEALTH_PATH = '/gateway/health';

const DEFAULTS = {
  host: '0.0.0.0',
  port: 5050,
  maxRedirects: 3,
  maxBodyBytes: 16 * 1024 * 1024,
  upstreamTimeoutMs: 5000,
} as const;

/** Headers that describe one connection, not the message, and so are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const REDIRECTS = new Set([307, 308]);

type Attempt =
  | { readonly kind: 'answered'; readonly response: IncomingMessage }
  | { readonly kind: 'unavailable'; readonly reason: string };

type LeaderLookup =
  | { readonly kind: 'leader'; readonly origin: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

const REDIRECT_PATH = '/master/redirect';

class BodyTooLargeError extends Error {}

export async function startLeaderGateway(options: LeaderGatewayOptions, log: Logger): Promise<LeaderGateway> {
  if (options.masters.length === 0) throw new Error('the gateway needs at least one master (host:port)');
  const config = { ...DEFAULTS, ...options };
  /** The master that named a leader last; asked first. */
  let preferred = config.masters[0]!;
  /** The leader found last, for logging changes only. */
  let lastLeader: string | undefined;

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, config.maxBodyBytes);
    // The client went away: so do the requests made on its behalf (and any stream they carry).
    const clientGone = new AbortController();
    res.once('close', () => clientGone.abort());
    const order = [preferred, ...config.masters.filter((m) => m !== preferred)];
    const failures: string[] = [];
    for (const master of order) {
      const attempt = await tryMaster(master, req, body, clientGone.signal);
      if (attempt.kind === 'unavailable') {
        failures.push(`${master}: ${attempt.reason}`);
        continue;
      }
      preferred = master;
      relay(attempt.response, res);
      return;
    }
    log.warn('no master answered', { path: req.url, failures: failures.join('; ') });
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end(`No leading master reachable (${failures.join('; ')})\n`);
  };

  /** The leader `master` names (its `/master/redirect` answer). */
  const leaderNamedBy = async (master: string, signal: AbortSignal): Promise<LeaderLookup> => {
    let response: IncomingMessage;
    try {
      response = await send({
        origin: master,
        path: REDIRECT_PATH,
        method: 'GET',
        headers: {},
        body: Buffer.alloc(0),
        timeoutMs: config.upstreamTimeoutMs,
        signal,
      });
    } catch (err) {
      return { kind: 'unavailable', reason: errorText(err) };
    }
    response.resume();
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined) {
      return { kind: 'unavailable', reason: `names no leader (${response.statusCode ?? 'no status'})` };
    }
    const origin = new URL(location, `http://${master}`).host;
    if (origin !== lastLeader) {
      log.info('leading master found', { leader: origin, previous: lastLeader, namedBy: master });
      lastLeader = origin;
    }
    return { kind: 'leader', origin };
  };

  /**
   * The request, sent to the leader `master` names and following its redirects; `unavailable`
   * when no leader gives an answer.
   */
  const tryMaster = async (
    master: string,
    req: IncomingMessage,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<Attempt> => {
    const leader = await leaderNamedBy(master, signal);
    if (leader.kind === 'unavailable') return leader;
    let origin = leader.origin;
    let path = req.url ?? '/';
    const headers = forwardable(req.headers);
    for (let hop = 0; hop <= config.maxRedirects; hop++) {
      let response: IncomingMessage;
      try {
        response = await send({
          origin,
          path,
          method: req.method ?? 'GET',
          headers,
          body,
          timeoutMs: config.upstreamTimeoutMs,
          signal,
        });
      } catch (err) {
        return { kind: 'unavailable', reason: `leader ${origin}: ${errorText(err)}` };
      }
      const status = response.statusCode ?? 502;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location !== undefined) {
        response.resume();
        const next = new URL(location, `http://${origin}`);
        origin = next.host;
        path = `${next.pathname}${next.search}`;
        continue;
      }
      if (status === 503) {
        response.resume();
        return { kind: 'unavailable', reason: `leader ${origin}: no leader elected (503)` };
      }
      return { kind: 'answered', response };
    }
    return { kind: 'unavailable', reason: `more than ${config.maxRedirects} redirects` };
  };

  const server: Server = createServer((req, res) => {
    if (req.url === GATEWAY_HEALTH_PATH) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    forward(req, res).catch((err: unknown) => {
      const tooLarge = err instanceof BodyTooLargeError;
      if (!tooLarge) log.error('request failed', { path: req.url, err: errorText(err) });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(tooLarge ? 413 : 502, { 'content-type': 'text/plain' });
      res.end(`${errorText(err)}\n`);
    });
  });
  // Event streams stay open indefinitely; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  log.info('gateway listening', { url, masters: config.masters.join(',') });

  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, stop, [Symbol.asyncDispose]: stop };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

interface UpstreamRequest {
  /** `host:port` of the master. */
  readonly origin: string;
  readonly path: string;
  readonly method: string;
  /** Without hop-by-hop fields (see `forwardable`). */
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Sends the client's request to a master; resolves with the response head, rejects if none comes. */
function send(request: UpstreamRequest): Promise<IncomingMessage> {
  const { origin, path, method, body, timeoutMs, signal } = request;
  const target = new URL(`http://${origin}`);
  const headers: OutgoingHttpHeaders = { ...request.headers, 'content-length': String(body.length) };
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port || 80, method, path, headers, signal },
      (response) => {
        upstream.setTimeout(0);
        resolve(response);
      },
    );
    upstream.setTimeout(timeoutMs, () => upstream.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    upstream.once('error', reject);
    upstream.end(body);
  });
}

function relay(response: IncomingMessage, res: ServerResponse): void {
  res.writeHead(response.statusCode ?? 502, response.statusMessage, forwardable(response.headers));
  // Stream headers of an event stream at once instead of waiting for its first event.
  res.flushHeaders();
  response.pipe(res);
  res.once('close', () => response.destroy());
}

/** `headers` without the hop-by-hop fields and `host`, which belong to one connection. */
function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'host') continue;
    result[name] = value;
  }
  return result;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code} ${err.message}`;
  }
  return String(err);
}
