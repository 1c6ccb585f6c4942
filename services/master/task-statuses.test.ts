import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import { newFrameworkRecord, type TaskRecord } from './records.js';
import { reconciliationAnswers, type AgentStanding } from './task-statuses.js';

const fw = newFrameworkRecord(
  'F' as FrameworkId,
  { user: 'u', name: 'n', failover_timeout: 0, checkpoint: false },
  ['*'],
  new Set(),
  0,
);
const running: TaskRecord = {
  frameworkId: fw.id,
  agentId: 'A1' as AgentId,
  taskId: 't-run' as TaskId,
  info: { name: 't', task_id: { value: 't-run' }, agent_id: { value: 'A1' }, resources: [] },
  role: '*',
  resources: Resources.EMPTY,
  state: 'TASK_RUNNING',
  statuses: [],
  resourcesReleased: false,
};
fw.tasks.set(running.taskId, running);

const standings: Record<string, AgentStanding> = { A1: 'active', A2: 'unreachable', A3: 'recovered' };
const answer = (requested: { task_id: { value: string }; agent_id?: { value: string } }[]) =>
  reconciliationAnswers(fw, requested, 100, (id) => standings[id] ?? 'unknown').map((s) => [
    s.task_id.value,
    s.state,
  ]);

describe('reconciliationAnswers', () => {
  it('answers implicit reconciliation with every known task, without uuid', () => {
    const [status] = reconciliationAnswers(fw, [], 100, () => 'active');
    assert.equal(status?.state, 'TASK_RUNNING');
    assert.equal(status?.reason, 'REASON_RECONCILIATION');
    assert.equal(status?.uuid, undefined);
  });

  it('answers unknown tasks by where their agent stands', () => {
    assert.deepEqual(
      answer([
        { task_id: { value: 't-run' } },
        { task_id: { value: 'gone' }, agent_id: { value: 'A1' } },
        { task_id: { value: 'cut-off' }, agent_id: { value: 'A2' } },
        { task_id: { value: 'nowhere' }, agent_id: { value: 'A9' } },
        { task_id: { value: 'no-agent' } },
      ]),
      [
        ['t-run', 'TASK_RUNNING'],
        ['gone', 'TASK_GONE'],
        ['cut-off', 'TASK_UNREACHABLE'],
        ['nowhere', 'TASK_UNKNOWN'],
        ['no-agent', 'TASK_UNKNOWN'],
      ],
    );
  });

  it('does not answer for an agent recovered from the registry that has not re-registered', () => {
    assert.deepEqual(answer([{ task_id: { value: 'later' }, agent_id: { value: 'A3' } }]), []);
  });
});
