/** Errors raised by the coordination module (ZooKeeper sessions, election, registry store). */
import { MesoError } from '../core/errors.js';

/** What went wrong, independent of the coordination service's own error codes. */
export type CoordinationFailure =
  /** No server of the ensemble answered within the connect timeout. */
  | 'unreachable'
  /** The session ended: expired on the server or locally (no reply for a whole session timeout). */
  | 'session-expired'
  /** The session or component was closed by its owner. */
  | 'closed'
  /** The server did not answer one request in time. */
  | 'timeout'
  /** The connection dropped while the request was in flight; the session may still be alive. */
  | 'connection-loss'
  | 'no-node'
  | 'node-exists'
  | 'bad-version'
  | 'not-empty'
  /** The node's ACL does not allow this identity (wrong or missing credentials in the URL). */
  | 'no-auth'
  | 'auth-failed'
  | 'invalid-argument'
  | 'other';

const RETRYABLE: ReadonlySet<CoordinationFailure> = new Set([
  'unreachable',
  'session-expired',
  'timeout',
  'connection-loss',
]);

/**
 * A coordination request failed. `failure` classifies it; `retryable` is true when the same call
 * may succeed later without operator action (e.g. once ZooKeeper is reachable again).
 */
export class CoordinationError extends MesoError {
  constructor(
    readonly failure: CoordinationFailure,
    message: string,
    options?: { readonly cause?: unknown; readonly path?: string },
  ) {
    super('ILLEGAL_STATE', message, { cause: options?.cause, retryable: RETRYABLE.has(failure) });
    this.name = 'CoordinationError';
    this.path = options?.path;
  }

  /** The node the request was about, when there was one. */
  readonly path: string | undefined;
}

export const isCoordinationFailure = (err: unknown, ...failures: readonly CoordinationFailure[]): boolean =>
  err instanceof CoordinationError && failures.includes(err.failure);
