/**
 * How a container's end, as the engine reports it, reads as a `Termination`.
 */
import { constants } from 'node:os';
import type { Termination } from '../containerizer.js';
import type { DockerContainerState } from './docker-types.js';

const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/**
 * The engine reports a process killed by signal N as exit code 128 + N. That reading is only
 * trusted when a signal is known to have been sent: by `kill`, or by the OOM killer.
 */
export function terminationOf(
  state: DockerContainerState | undefined,
  killGraceMs: number | undefined,
): Termination {
  if (state === undefined) return { reason: 'lost', message: 'container disappeared from the engine' };
  const signalled = state.oomKilled || killGraceMs !== undefined;
  const signal = signalled && state.exitCode > 128 ? SIGNAL_NAMES.get(state.exitCode - 128) : undefined;
  const ending = signal === undefined ? { exitCode: state.exitCode } : { signal };
  const how = signal === undefined ? `code ${state.exitCode}` : `signal ${signal}`;
  if (state.oomKilled) {
    return { ...ending, reason: 'oom', message: `container exceeded its memory limit and ended with ${how}` };
  }
  if (killGraceMs !== undefined) {
    const message = `container was stopped with a ${killGraceMs} ms grace period and ended with ${how}`;
    return { ...ending, reason: 'killed', message };
  }
  const engineError = state.error === '' ? '' : `: ${state.error}`;
  return { ...ending, message: `container exited with ${how}${engineError}` };
}
