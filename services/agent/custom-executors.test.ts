import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, beforeEach, describe, it } from 'node:test';
import type { AgentEvent } from '../core/agent-protocol.js';
import { ManualClock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { ContainerId } from '../core/ids.js';
import type { TaskStatus } from '../core/v1/tasks.js';
import type { EventSink } from '../transport/event-stream.js';
import type { AgentTasks } from './agent-tasks.js';
import { FakeContainerizer } from './containerizer/fake/fake-containerizer.js';
import { type ExecutorCall, type ExecutorEvent, parseExecutorCall } from './executor-calls.js';
import {
  agentTasksFixture,
  FIXTURE_AGENT_ID,
  fixtureFramework,
  statesOf,
  until,
} from './testing/agent-tasks-fixture.js';

class RecordingSink implements EventSink<ExecutorEvent> {
  readonly events: ExecutorEvent[] = [];
  closed = false;
  private readonly handlers: (() => void)[] = [];
  send(event: ExecutorEvent): void {
    this.events.push(event);
  }
  close(): void {
    this.closed = true;
    for (const fn of this.handlers.splice(0)) fn();
  }
  onClose(fn: () => void): void {
    this.handlers.push(fn);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

const agentId = FIXTURE_AGENT_ID;
const runTask = (id: string, checkpoint = true): AgentEvent => ({
  type: 'RUN_TASK',
  run_task: {
    framework_info: fixtureFramework(checkpoint),
    task: {
      name: id,
      task_id: { value: id },
      agent_id: { value: agentId },
      resources: [],
      executor: {
        type: 'CUSTOM',
        executor_id: { value: 'ex' },
        command: { value: 'my-executor', shell: true },
        resources: [],
      },
    },
  },
});
const call = (type: ExecutorCall['type'], extra: object = {}): ExecutorCall =>
  parseExecutorCall({ type, framework_id: { value: 'fw' }, executor_id: { value: 'ex' }, ...extra });

describe('custom executors', () => {
  let root: string;
  let clock: ManualClock;
  let containerizer: FakeContainerizer;
  let sent: TaskStatus[];
  let tasks: AgentTasks;

  beforeEach(async () => {
    root ??= await mkdtemp(join(tmpdir(), 'meso-executors-'));
    clock = new ManualClock(1_000_000);
    containerizer = new FakeContainerizer();
    const workDir = await mkdtemp(join(root, 'work-'));
    ({ tasks, sent } = agentTasksFixture(workDir, clock, [containerizer], {
      executorRegistrationTimeoutMs: 60_000,
      executorReregistrationTimeoutMs: 2000,
    }));
    await tasks.registered(agentId);
    tasks.updates.resume();
  });
  after(() => rm(root, { recursive: true, force: true }));

  const states = (taskId: string): string[] => statesOf(sent, taskId);

  it('launches the executor with the Mesos environment and delivers queued tasks on SUBSCRIBE', async () => {
    tasks.handle(runTask('t1'), agentId);
    const [spec] = await until(() => containerizer.launched.length > 0 && containerizer.launched);
    assert.equal(spec?.command.value, 'my-executor');
    assert.equal(spec?.taskId, undefined);
    assert.equal(spec?.env['MESOS_EXECUTOR_ID'], 'ex');
    assert.equal(spec?.env['MESOS_AGENT_ENDPOINT'], '127.0.0.1:5051');
    assert.throws(
      () => tasks.executors.update(call('UPDATE')),
      (err: unknown) => {
        return err instanceof MesoError && err.code === 'FORBIDDEN';
      },
    );

    const sink = new RecordingSink();
    tasks.executors.subscribe(call('SUBSCRIBE'), () => sink);
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'LAUNCH']);
    tasks.handle(runTask('t2'), agentId);
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'LAUNCH', 'LAUNCH']);

    const uuid = Buffer.alloc(16, 1).toString('base64');
    const status = { task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid };
    tasks.executors.update(call('UPDATE', { update: { status } }));
    await until(() => sink.types().includes('ACKNOWLEDGED'));
    assert.deepEqual(states('t1'), ['TASK_RUNNING/']);
    assert.equal(sent[0]?.executor_id?.value, 'ex');
    clock.advance(30_000);
    assert.equal(sink.types().at(-1), 'HEARTBEAT');
  });

  it('fails the tasks of an executor that does not subscribe in time', async () => {
    tasks.handle(runTask('t1'), agentId);
    await until(() => containerizer.launched.length > 0);
    await sleep(10);
    clock.advance(60_000);
    await until(() => states('t1').length > 0);
    assert.deepEqual(states('t1'), ['TASK_FAILED/REASON_EXECUTOR_REGISTRATION_TIMEOUT']);
    assert.deepEqual(containerizer.kills, [0]);
  });

  it('kills a task that never reached its executor without asking it', async () => {
    tasks.handle(runTask('t1'), agentId);
    tasks.handle(
      { type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw' }, task_id: { value: 't1' } } },
      agentId,
    );
    await until(() => states('t1').length > 0);
    assert.deepEqual(states('t1'), ['TASK_KILLED/REASON_TASK_KILLED_DURING_LAUNCH']);
  });

  it('shuts down the executor of a framework without checkpointing when its stream breaks', async () => {
    tasks.handle(runTask('t1', false), agentId);
    await until(() => containerizer.launched.length > 0);
    const sink = new RecordingSink();
    tasks.executors.subscribe(call('SUBSCRIBE'), () => sink);
    sink.close();
    await until(() => states('t1').length > 0);
    assert.deepEqual(states('t1'), ['TASK_KILLED/REASON_EXECUTOR_TERMINATED']);
    assert.throws(() => tasks.executors.subscribe(call('SUBSCRIBE'), () => sink), /Executor cannot be found/);
  });

  it('fails the live tasks of an executor whose container ends', async () => {
    tasks.handle(runTask('t1'), agentId);
    const [spec] = await until(() => containerizer.launched.length > 0 && containerizer.launched);
    tasks.executors.subscribe(call('SUBSCRIBE'), () => new RecordingSink());
    containerizer.end(spec?.containerId as ContainerId, { exitCode: 3, message: 'exited with status 3' });
    await until(() => states('t1').length > 0);
    assert.deepEqual(states('t1'), ['TASK_FAILED/REASON_EXECUTOR_TERMINATED']);
    assert.match(sent[0]?.message ?? '', /Executor terminated: exited with status 3/);
  });
});
