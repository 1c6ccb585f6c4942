/**
 * Errors that cross module boundaries. Each carries a stable `code`; the HTTP layer maps codes to
 * statuses in exactly one place (`services/transport/http-errors.ts`).
 */
export type ErrorCode =
  | 'INVALID_CALL'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ACCEPTABLE'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'NOT_LEADER'
  | 'NO_LEADER'
  | 'NOT_IMPLEMENTED'
  | 'CONTAINER_LAUNCH_FAILED'
  | 'ILLEGAL_STATE';

export class MesoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MesoError';
    this.retryable = options?.retryable ?? false;
  }

  /** True when repeating the same call later may succeed without operator action. */
  readonly retryable: boolean;
}

export const invalidCall = (message: string): MesoError => new MesoError('INVALID_CALL', message);
