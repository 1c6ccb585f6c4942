import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, ContainerId, ExecutorId, TaskId } from '../core/ids.js';
import type { Termination } from './containerizer/containerizer.js';
import { durationMs, finalState, newTaskStatus } from './task-status.js';

describe('finalState', () => {
  const exit = (exitCode: number): Termination => ({
    exitCode,
    message: `Command exited with status ${exitCode}`,
  });
  for (const [name, termination, killed, want] of [
    ['exit 0 finishes', exit(0), false, { state: 'TASK_FINISHED', message: 'Command exited with status 0' }],
    [
      'non-zero exit fails',
      exit(2),
      false,
      { state: 'TASK_FAILED', message: 'Command exited with status 2' },
    ],
    [
      'a requested kill is KILLED even after exit 0',
      exit(0),
      true,
      { state: 'TASK_KILLED', message: 'Command exited with status 0' },
    ],
    [
      'out of memory names the limitation',
      { signal: 'SIGKILL', reason: 'oom', message: 'oom' },
      false,
      { state: 'TASK_FAILED', message: 'oom', reason: 'REASON_CONTAINER_LIMITATION_MEMORY' },
    ],
    [
      'a vanished container is an executor termination',
      undefined,
      false,
      { state: 'TASK_FAILED', message: 'Container is gone', reason: 'REASON_EXECUTOR_TERMINATED' },
    ],
  ] as const) {
    it(name, () => assert.deepEqual(finalState(termination, killed), want));
  }
});

describe('newTaskStatus', () => {
  it('stamps seconds, a 16-byte uuid, and the ids it is given', () => {
    const fields = {
      taskId: 't' as TaskId,
      state: 'TASK_RUNNING',
      source: 'SOURCE_EXECUTOR',
      agentId: 'a' as AgentId,
      executorId: 'e' as ExecutorId,
      containerId: 'c' as ContainerId,
    } as const;
    const status = newTaskStatus(fields, 1_700_000_000_500);
    assert.equal(status.timestamp, 1_700_000_000.5);
    assert.equal(Buffer.from(status.uuid ?? '', 'base64').length, 16);
    assert.deepEqual(status.executor_id, { value: 'e' });
    assert.deepEqual(status.container_status, { container_id: { value: 'c' } });
    assert.equal('reason' in status, false);
    assert.notEqual(newTaskStatus(fields, 0).uuid, status.uuid, 'every status gets its own uuid');
  });

  it('converts durations from nanoseconds', () => {
    assert.equal(durationMs({ nanoseconds: 3e9 }), 3000);
    assert.equal(durationMs(undefined), undefined);
  });
});
