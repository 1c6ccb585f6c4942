import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeOf } from './task-exit.js';

describe('exitCodeOf', () => {
  it('maps terminal statuses to exit codes', () => {
    const cases = [
      { state: 'TASK_FINISHED', message: 'Command exited with status 0', want: 0 },
      { state: 'TASK_FAILED', message: 'Command exited with status 3', want: 3 },
      { state: 'TASK_FAILED', message: 'Container exited with status 137', want: 137 },
      // Status 0 on a failed task is contradictory; the task still failed.
      { state: 'TASK_FAILED', message: 'Command exited with status 0', want: 1 },
      { state: 'TASK_FAILED', message: 'Command terminated with signal Killed', want: 1 },
      { state: 'TASK_KILLED', message: undefined, want: 1 },
      { state: 'TASK_LOST', message: 'Agent removed', want: 1 },
      { state: 'TASK_ERROR', message: 'Task uses more resources than offered', want: 1 },
    ] as const;
    for (const { state, message, want } of cases) {
      assert.equal(exitCodeOf({ state, message }), want, `${state}: ${message}`);
    }
  });
});
