/**
 * Errors the scheduler SDK throws to framework code. They are SDK-side failures (a call the master
 * refused, a master that cannot be reached), so they carry their own code union instead of the
 * master's `ErrorCode`.
 */
import type { SchedulerCallType } from '../core/v1/scheduler.js';

export type SchedulerErrorCode =
  /** The master answered a call with a non-2xx status; see `SchedulerCallError`. */
  | 'CALL_REJECTED'
  /** A call was made while no subscription is open (before SUBSCRIBED, while reconnecting, after close). */
  | 'NOT_SUBSCRIBED'
  /** No master answered: connection refused, reset, or a redirect loop. */
  | 'MASTER_UNREACHABLE'
  /** The master's answer broke the protocol (no `Mesos-Stream-Id`, malformed RecordIO, missed heartbeats). */
  | 'PROTOCOL'
  /** The client was closed before or while the call was made. */
  | 'CLOSED';

export class SchedulerError extends Error {
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
    options: { readonly retryable: boolean; readonly cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
  }

  /** True when repeating the same call later (after re-subscribing, if need be) may succeed. */
  readonly retryable: boolean;
}

/**
 * Statuses worth retrying: 503 (no leader elected, or the master is still recovering), other 5xx,
 * 429, and 404, which the C++ scheduler library also treats as "re-detect the master".
 */
const isRetryableStatus = (status: number): boolean => status >= 500 || status === 429 || status === 404;

/** The master refused a call; `status` and `masterMessage` are what it answered. */
export class SchedulerCallError extends SchedulerError {
  constructor(
    readonly callType: SchedulerCallType,
    readonly status: number,
    readonly masterMessage: string,
  ) {
    super(
      'CALL_REJECTED',
      `${callType} call failed with HTTP ${status}: ${masterMessage || '(empty body)'}`,
      {
        retryable: isRetryableStatus(status),
      },
    );
  }
}

/** Whether a failure of SUBSCRIBE (or of the stream it opened) is worth another attempt. */
export const isRetryable = (err: unknown): boolean => err instanceof SchedulerError && err.retryable;

/** An error's message; for `fetch` failures also the cause (ECONNREFUSED, ...) that "fetch failed" hides. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause: unknown = err.cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
