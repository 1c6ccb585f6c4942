/**
 * How a container's end, as the engine reports it, reads as a `Termination`, and when a container
 * found running after an agent restart is cut off from its network.
 */
import { constants } from 'node:os';
import type { Termination } from '../containerizer.js';
import type { DockerContainerState } from './docker-types.js';
import { namespaceOwner } from './host-network.js';

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

/**
 * Why `task`, which joined another container's network namespace (`container:<id>`, what HOST
 * tasks get with `--docker_host_network container:self`), no longer has a network; `undefined`
 * when it still has one or never joined another. The engine does not move joined containers
 * along when the namespace's owner is stopped: once the owner is gone or has started again after
 * the task did (the agent's own container restarted or recreated), the task is left alone with a
 * loopback interface, still running but unreachable at its ports.
 */
export function lostNetworkNamespace(
  task: DockerContainerState,
  owner: DockerContainerState | undefined,
): string | undefined {
  const ownerRef = namespaceOwner(task.networkMode);
  if (ownerRef === undefined) return undefined;
  const which = `the network namespace of container ${ownerRef.slice(0, 12)}`;
  if (owner === undefined) return `${which} (the agent's previous container) is gone`;
  if (!owner.running) return `${which} (the agent's container) is not running`;
  if (owner.startedAtMs > task.startedAtMs)
    return `${which} (the agent's container) was restarted after the task started`;
  return undefined;
}
