/**
 * The one logging seam. Structured: one JSON object per line, ids and numbers in fields, messages
 * in lowercase past tense without a trailing period. pino is imported only here.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

class PinoAdapter implements Logger {
  constructor(private readonly inner: PinoLogger) {}
  debug(message: string, fields?: LogFields): void {
    this.inner.debug(fields ?? {}, message);
  }
  info(message: string, fields?: LogFields): void {
    this.inner.info(fields ?? {}, message);
  }
  warn(message: string, fields?: LogFields): void {
    this.inner.warn(fields ?? {}, message);
  }
  error(message: string, fields?: LogFields): void {
    this.inner.error(fields ?? {}, message);
  }
  child(fields: LogFields): Logger {
    return new PinoAdapter(this.inner.child(fields));
  }
}

/** A logger writing JSON lines to stderr (stdout is kept for command output such as `meso run`). */
export function createLogger(level: LogLevel, base: LogFields = {}): Logger {
  return new PinoAdapter(pino({ level, base: { ...base } }, pino.destination(2)));
}

/** Discards everything; for unit tests and libraries that were given no logger. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
