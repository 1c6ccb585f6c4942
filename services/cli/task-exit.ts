/** Exit codes of `meso run`: the task's own where it can be known, else conventions of `docker run` and `timeout`. */
import type { TaskStatus } from '../core/v1/tasks.js';

export const EXIT_SUCCESS = 0;
/** The task failed, was killed or lost, and its exit status is unknown. */
export const EXIT_TASK_FAILED = 1;
/** `timeout`'s convention: the time limit ran out (the task was killed). */
export const EXIT_TIMED_OUT = 124;
/** `docker run`'s convention: `meso run` itself failed (master unreachable, framework refused, ...). */
export const EXIT_RUN_FAILED = 125;
/** The shell's convention for SIGINT: interrupted by the user (the task was killed). */
export const EXIT_INTERRUPTED = 130;

/**
 * The exit code for a task's terminal status: 0 for TASK_FINISHED; the command's status when the
 * message reports it (the Mesos executors write `Command exited with status N`); else 1.
 */
export function exitCodeOf(status: Pick<TaskStatus, 'state' | 'message'>): number {
  if (status.state === 'TASK_FINISHED') return EXIT_SUCCESS;
  const reported = Number(/exited with status (\d+)/i.exec(status.message ?? '')?.[1]);
  return Number.isInteger(reported) && reported > 0 && reported < 256 ? reported : EXIT_TASK_FAILED;
}
