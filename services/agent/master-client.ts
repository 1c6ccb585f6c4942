/**
 * The agent's HTTP side of the master ↔ agent protocol: REGISTER opens the event stream, PING and
 * UPDATE are plain calls. Also where a configured master address becomes a URL.
 */
import { AGENT_API_PATH, type AgentCall, type AgentEvent } from '../core/agent-protocol.js';
import type { Clock } from '../core/clock.js';
import { invalidCall, MesoError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { readRecords } from '../transport/recordio.js';
import { parseAgentEvent } from './agent-events.js';

/** Finds the leading master's base URL; `undefined` while there is none (an election is under way). */
export type DetectMaster = () => Promise<string | undefined>;

export interface MasterClient {
  /**
   * POSTs a REGISTER call. Resolves once the master answered 200, with the stream's events
   * (malformed and unknown ones are logged and skipped); the iteration ends when the master closes
   * the stream and throws when the connection breaks or `signal` aborts. Rejects when the master
   * answers anything but 200.
   */
  register(masterUrl: string, call: AgentCall, signal: AbortSignal): Promise<AsyncIterable<AgentEvent>>;
  /** POSTs a PING or UPDATE call; resolves with the HTTP status, rejects on network failure or timeout. */
  send(masterUrl: string, call: AgentCall, signal: AbortSignal): Promise<number>;
}

/** How long a call may take (for REGISTER: until the stream's headers arrive). */
export const MASTER_REQUEST_TIMEOUT_MS = 10_000;

export class HttpMasterClient implements MasterClient {
  private readonly log: Logger;

  constructor(private readonly deps: { readonly clock: Clock; readonly log: Logger }) {
    this.log = deps.log.child({ component: 'agent.master-client' });
  }

  async register(
    masterUrl: string,
    call: AgentCall,
    signal: AbortSignal,
  ): Promise<AsyncIterable<AgentEvent>> {
    const response = await this.post(masterUrl, call, signal, async (res) => {
      if (res.status === 200 && res.body !== null) return res;
      const text = await res.text().catch(() => '');
      throw new MesoError(
        res.status === 503 ? 'NO_LEADER' : 'ILLEGAL_STATE',
        `master refused the registration with status ${res.status}: ${text.slice(0, 200)}`,
        { retryable: true },
      );
    });
    return this.events(response.body as ReadableStream<Uint8Array>);
  }

  async send(masterUrl: string, call: AgentCall, signal: AbortSignal): Promise<number> {
    return this.post(masterUrl, call, signal, async (res) => {
      await res.arrayBuffer(); // frees the connection for reuse
      return res.status;
    });
  }

  /** POSTs `call`; the timeout covers the request and `handle`, not a stream read afterwards. */
  private async post<T>(
    masterUrl: string,
    call: AgentCall,
    signal: AbortSignal,
    handle: (res: Response) => Promise<T>,
  ): Promise<T> {
    const timeout = new AbortController();
    const cancelTimeout = this.deps.clock.after(MASTER_REQUEST_TIMEOUT_MS, () =>
      timeout.abort(
        new MesoError('ILLEGAL_STATE', `master did not answer within ${MASTER_REQUEST_TIMEOUT_MS} ms`),
      ),
    );
    try {
      const res = await fetch(new URL(AGENT_API_PATH, masterUrl), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(call),
        signal: AbortSignal.any([signal, timeout.signal]),
      });
      return await handle(res);
    } finally {
      cancelTimeout();
    }
  }

  private async *events(body: ReadableStream<Uint8Array>): AsyncGenerator<AgentEvent> {
    for await (const raw of readRecords(body)) {
      let event: AgentEvent | undefined;
      try {
        event = parseAgentEvent(raw);
      } catch (err) {
        this.log.warn('malformed event from master ignored', { err: (err as Error).message });
        continue;
      }
      if (event === undefined)
        this.log.debug('unknown event from master ignored', {
          type: String((raw as { type?: unknown }).type),
        });
      else yield event;
    }
  }
}

/**
 * The detector for a fixed master (`--master=http://host:5050` or `host:5050`). ZooKeeper URLs
 * need a detector from the coordination module; asking for one here is a configuration error.
 */
export function standaloneDetector(master: string): DetectMaster {
  if (master.startsWith('zk://')) {
    throw invalidCall(`master '${master}' is a ZooKeeper URL; the agent needs a ZooKeeper detector for it`);
  }
  const url = /^https?:\/\//.test(master) ? master : `http://${master}`;
  try {
    new URL(url);
  } catch {
    throw invalidCall(`master '${master}' is neither a URL nor host:port`);
  }
  return () => Promise.resolve(url);
}
