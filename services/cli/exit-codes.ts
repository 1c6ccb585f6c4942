/**
 * Exit codes of the `meso` client commands, for scripts: 0 success, 1 failure (master unreachable,
 * server error, a kill that did not finish in time), 2 usage (bad flags or arguments, a call the
 * master refused as invalid), 3 not found (no such task, agent or framework).
 */
import { MesoError } from '../core/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;

/** A failure that ends a command with a given exit code and a one-line message. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT_USAGE, message);
export const notFound = (message: string): CliError => new CliError(EXIT_NOT_FOUND, message);

/** The exit code for any error a command may end with. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof MesoError) {
    if (err.code === 'INVALID_CALL') return EXIT_USAGE;
    if (err.code === 'NOT_FOUND') return EXIT_NOT_FOUND;
  }
  return EXIT_FAILURE;
}
