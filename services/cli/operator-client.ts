/**
 * The `meso` client commands' connection to the cluster: finds the leading master (an HTTP URL, or
 * `zk://` through the coordination module's detector) and makes v1 operator API calls there.
 * Failures become `CliError`s carrying the exit code scripts see.
 */
import type { z } from 'zod';
import { systemClock } from '../core/clock.js';
import { parseZkUrl, startZkMasterDetector } from '../coordination/index.js';
import { formatIssues } from '../core/validation.js';
import { silentLogger } from '../log/logger.js';
import { describeError, masterUrlOf } from '../scheduler/index.js';
import { CliError, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_USAGE } from './exit-codes.js';
import { masterUrlFlag } from './run-flags.js';

/** How long finding the leader through ZooKeeper may take. */
const ZK_DETECT_TIMEOUT_MS = 10_000;
/** How long one operator call may take (SUBSCRIBE excepted). */
const CALL_TIMEOUT_MS = 30_000;

export type Json = Record<string, unknown>;

/**
 * The base URL of the master to talk to: `--master` as given (`http://host:5050`, `host:5050`), or
 * the leader a ZooKeeper URL (`zk://host:2181/mesos`) names. Any master will do otherwise: standbys
 * redirect to the leader.
 */
export async function resolveMaster(master: string): Promise<string> {
  if (!master.startsWith('zk://')) return masterUrlFlag(master);
  const url = parseZkUrl(master);
  let detector;
  try {
    detector = await startZkMasterDetector({
      url,
      clock: systemClock,
      log: silentLogger,
      connectTimeoutMs: ZK_DETECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new CliError(EXIT_FAILURE, `cannot reach ZooKeeper at ${master}: ${describeError(err)}`);
  }
  try {
    const leader = await detector.detect(undefined, AbortSignal.timeout(ZK_DETECT_TIMEOUT_MS));
    if (leader === undefined) throw new CliError(EXIT_FAILURE, `no master is elected in ${master}`);
    return masterUrlOf(leader);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT_FAILURE, `no leading master found in ${master}: ${describeError(err)}`);
  } finally {
    await detector.close();
  }
}

export class OperatorClient {
  constructor(readonly masterUrl: string) {}

  /**
   * Makes `type` with `body` (the call's own field, e.g. `{update_weights: {...}}`) and returns the
   * answer's payload (`get_agents` of a GET_AGENTS answer), `{}` for calls answered without one.
   */
  async call(type: string, body: Json = {}): Promise<Json> {
    const response = await this.post({ type, ...body }, AbortSignal.timeout(CALL_TIMEOUT_MS));
    const text = await response.text();
    if (text === '') return {};
    const answer = JSON.parse(text) as Json;
    const payload = answer[type.toLowerCase()];
    return typeof payload === 'object' && payload !== null ? (payload as Json) : {};
  }

  /** `call`, then checks the payload against `schema` (which should let unknown keys through). */
  async get<S extends z.ZodType>(type: string, schema: S): Promise<z.infer<S>> {
    const payload = await this.call(type);
    const parsed = schema.safeParse(payload);
    if (!parsed.success)
      throw new CliError(
        EXIT_FAILURE,
        `unexpected ${type} answer from ${this.masterUrl}: ${formatIssues(parsed.error)}`,
      );
    return parsed.data;
  }

  /** POSTs a call; a 2xx response is returned (its body unread), anything else thrown as a `CliError`. */
  async post(call: Json, signal: AbortSignal): Promise<Response> {
    const url = new URL('/api/v1', this.masterUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(call),
        signal,
      });
    } catch (err) {
      throw new CliError(EXIT_FAILURE, `cannot reach the master at ${this.masterUrl}: ${describeError(err)}`);
    }
    if (response.ok) return response;
    const message = (await response.text()).trim() || `HTTP ${response.status}`;
    const exitCode =
      response.status === 404 ? EXIT_NOT_FOUND : response.status === 400 ? EXIT_USAGE : EXIT_FAILURE;
    throw new CliError(exitCode, message);
  }
}
