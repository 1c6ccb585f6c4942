/**
 * The single mapping from error codes to HTTP answers, and the express plumbing shared by the
 * master's and agent's APIs: body reading with a size limit, content negotiation, and errors
 * answered as plain text naming the problem (as Mesos does).
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type ErrorCode, MesoError } from '../core/errors.js';

const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_CALL: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  NOT_LEADER: 307,
  NO_LEADER: 503,
  NOT_IMPLEMENTED: 501,
  CONTAINER_LAUNCH_FAILED: 500,
  ILLEGAL_STATE: 409,
};

/** Largest call body accepted; Mesos frameworks send far less, even for big ACCEPTs. */
export const MAX_CALL_BODY_BYTES = 4 * 1024 * 1024;

export function sendError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const error =
    err instanceof MesoError
      ? err
      : new MesoError('ILLEGAL_STATE', `internal error: ${(err as Error).message}`);
  const status =
    error.code === 'ILLEGAL_STATE' && !(err instanceof MesoError) ? 500 : HTTP_STATUS[error.code];
  if (error.code === 'METHOD_NOT_ALLOWED') res.setHeader('Allow', 'POST');
  res.status(status).type('text/plain').send(error.message);
}

/** Wraps an async handler so rejections become error answers instead of unhandled rejections. */
export function handle(fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return (req, res) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch((err: unknown) => sendError(res, err));
  };
}

/** Reads any body as text (content type is checked by the handler, so it can answer 415 itself). */
export const rawTextBody = (limitBytes = MAX_CALL_BODY_BYTES): RequestHandler =>
  express.text({ type: () => true, limit: limitBytes });

/** Turns body-parser failures (oversized, bad encoding) into answers that name the problem. */
export function bodyErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const bodyError = err as { type?: string; limit?: number; length?: number; message?: string };
  if (bodyError.type === 'entity.too.large') {
    sendError(
      res,
      new MesoError(
        'PAYLOAD_TOO_LARGE',
        `Request body of ${bodyError.length ?? 'unknown'} bytes exceeds the limit of ${bodyError.limit} bytes`,
      ),
    );
    return;
  }
  if (bodyError.type !== undefined) {
    sendError(
      res,
      new MesoError('INVALID_CALL', `Failed to read request body: ${bodyError.message ?? 'unknown'}`),
    );
    return;
  }
  next(err);
}

/**
 * Checks a v1 API call's headers: JSON content type (a `charset` parameter is tolerated, unlike
 * Mesos, which compares the raw header), and an `Accept` that allows JSON.
 */
export function requireJsonCall(req: Request): void {
  if (req.method !== 'POST')
    throw new MesoError('METHOD_NOT_ALLOWED', `Expecting 'POST', received '${req.method}'`);
  const contentType = req.headers['content-type'];
  if (contentType === undefined)
    throw new MesoError('INVALID_CALL', "Expecting 'Content-Type' to be present");
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new MesoError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Expecting 'Content-Type' of application/json (application/x-protobuf is not supported); received '${contentType}'`,
    );
  }
  const accept = req.headers.accept;
  if (accept !== undefined && !/application\/json|\*\/\*|application\/\*/.test(accept)) {
    throw new MesoError(
      'NOT_ACCEPTABLE',
      `Expecting 'Accept' to allow application/json; received '${accept}'`,
    );
  }
}

/** The request body as text; an empty body is an error naming what was expected. */
export function bodyText(req: Request, what: string): string {
  const body: unknown = req.body;
  if (typeof body !== 'string' || body.trim() === '')
    throw new MesoError('INVALID_CALL', `Expecting a JSON ${what} in the request body`);
  return body;
}
