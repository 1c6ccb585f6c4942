/**
 * Custom executors end to end, through a real master and agents (process containerizer): the
 * example executor (`examples/executor/executor.mjs`) runs tasks to RUNNING and FINISHED or FAILED,
 * echoes framework messages and honours KILL; the executor API validates calls (the test plays
 * the executor); an executor that never subscribes fails its tasks after the registration timeout.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Offer } from '../../services/core/v1/cluster.js';
import type { ExecutorInfo } from '../../services/core/v1/tasks.js';
import { readRecords } from '../../services/transport/recordio.js';
import { agentState, agentTask, readAgentFile, sandboxOf } from '../helpers/agent-tasks.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { TestScheduler } from '../helpers/scheduler.js';

const LIMIT = { timeout: 60_000 };

/** `examples/executor/executor.mjs` of this repository (run from `test/` or `dist/test/`). */
function exampleExecutor(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'examples', 'executor', 'executor.mjs');
}

const customExecutor = (id: string, command: string): ExecutorInfo => ({
  type: 'CUSTOM',
  executor_id: { value: id },
  command: { value: command, shell: true },
  resources: [],
});

describe('custom executors and the executor API', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let agent: MesoProcess;
  let impatient: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url);
    impatient = await cluster.startAgent(master.url, { executor_registration_timeout: '1secs' });
  });
  after(() => cluster.stopAll());

  /** The first offer of `agent`'s resources. */
  const offerOf = async (scheduler: TestScheduler, on: MesoProcess): Promise<Offer> => {
    const agentId = await waitFor(async () => (await agentState(on.url)).id || undefined, 10_000, 'agent id');
    for (;;) {
      const offer = (await scheduler.nextOffers()).find((o) => o.agent_id.value === agentId);
      if (offer !== undefined) return offer;
    }
  };

  it('runs tasks with the example executor: RUNNING, FINISHED or FAILED, messages, KILL', LIMIT, async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const offer = await offerOf(scheduler, agent);
    const executor = customExecutor('example', `'${process.execPath}' '${exampleExecutor()}'`);
    await scheduler.client.launch(offer, [
      agentTask(offer, 'ex-ok', 'echo from-the-executor', { executor }),
      agentTask(offer, 'ex-fail', 'exit 4', { executor }),
      agentTask(offer, 'ex-sleep', 'sleep 30', { executor }),
    ]);
    const finished = await scheduler.sawUpdate('ex-ok', 'TASK_FINISHED');
    assert.equal(finished.source, 'SOURCE_EXECUTOR');
    assert.equal(finished.executor_id?.value, 'example');
    assert.deepEqual(
      scheduler.updatesOf('ex-ok').map((s) => s.state),
      ['TASK_RUNNING', 'TASK_FINISHED'],
    );
    const failed = await scheduler.sawUpdate('ex-fail', 'TASK_FAILED');
    assert.match(failed.message ?? '', /status 4/);
    await scheduler.sawUpdate('ex-sleep', 'TASK_RUNNING');

    await scheduler.client.message(offer.agent_id, { value: 'example' }, Buffer.from('hi'));
    const reply = await scheduler.next((e) => e.type === 'MESSAGE', 'the executor echoing the message');
    assert.equal(
      reply.type === 'MESSAGE' && Buffer.from(reply.message.data, 'base64').toString(),
      'echo: hi',
    );

    await scheduler.client.kill({ value: 'ex-sleep' });
    await scheduler.sawUpdate('ex-sleep', 'TASK_KILLED');
    const stdout = await readAgentFile(agent.url, `${await sandboxOf(agent.url, 'ex-ok')}/stdout`);
    assert.match(stdout, /from-the-executor/);
  });

  it(
    'serves the executor API: SUBSCRIBE, validated UPDATEs, ACKNOWLEDGED, MESSAGE, KILL',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url);
      const frameworkId = await scheduler.subscribe();
      const offer = await offerOf(scheduler, agent);
      // The executor's own process never calls back: this test speaks for it.
      const executor = customExecutor('by-hand', 'sleep 60');
      await scheduler.client.launch(offer, [agentTask(offer, 'hand-task', 'unused', { executor })]);
      const api = `${agent.url}/slave(1)/api/v1/executor`;
      const ids = { framework_id: { value: frameworkId }, executor_id: { value: 'by-hand' } };
      const post = (body: object): Promise<Response> =>
        fetch(api, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ ...ids, ...body }),
        });
      const status = (overrides: object) => ({
        task_id: { value: 'hand-task' },
        state: 'TASK_RUNNING',
        source: 'SOURCE_EXECUTOR',
        uuid: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64'),
        ...overrides,
      });

      // Known to the agent (once RUN_TASK arrived) but not subscribed: 403.
      await waitFor(
        async () => (await post({ type: 'UPDATE', update: { status: status({}) } })).status === 403,
        10_000,
        'an UPDATE before SUBSCRIBE to be refused with 403',
      );
      const unknown = await post({ type: 'SUBSCRIBE', executor_id: { value: 'nobody' }, subscribe: {} });
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /Executor cannot be found/);

      const subscription = await post({ type: 'SUBSCRIBE', subscribe: {} });
      assert.equal(subscription.status, 200);
      assert.ok(subscription.body !== null);
      const events = readRecords(subscription.body)[Symbol.asyncIterator]();
      const nextEvent = async (): Promise<{ type: string } & Record<string, unknown>> => {
        for (;;) {
          const { value } = await events.next();
          const event = value as { type: string } & Record<string, unknown>;
          if (event.type !== 'HEARTBEAT') return event;
        }
      };
      const subscribed = await nextEvent();
      assert.equal(subscribed.type, 'SUBSCRIBED');
      assert.equal(
        (subscribed['subscribed'] as { framework_info: { id: { value: string } } }).framework_info.id.value,
        frameworkId,
      );
      const launch = await nextEvent();
      assert.equal(launch.type, 'LAUNCH');
      assert.equal(
        (launch['launch'] as { task: { task_id: { value: string } } }).task.task_id.value,
        'hand-task',
      );

      for (const [bad, why] of [
        [{ uuid: 'not-16-bytes' }, /16 bytes/],
        [{ source: 'SOURCE_AGENT' }, /SOURCE_EXECUTOR/],
        [{ state: 'TASK_STAGING' }, /TASK_STAGING/],
        [{ executor_id: { value: 'someone-else' } }, /not the calling executor/],
      ] as const) {
        const refused = await post({ type: 'UPDATE', update: { status: status(bad) } });
        assert.equal(refused.status, 400);
        assert.match(await refused.text(), why);
      }
      const running = status({});
      assert.equal((await post({ type: 'UPDATE', update: { status: running } })).status, 202);
      const acknowledged = await nextEvent();
      assert.deepEqual(acknowledged, {
        type: 'ACKNOWLEDGED',
        acknowledged: { task_id: { value: 'hand-task' }, uuid: running.uuid },
      });
      const seen = await scheduler.sawUpdate('hand-task', 'TASK_RUNNING');
      assert.equal(seen.uuid, running.uuid);

      const data = Buffer.from('from the executor').toString('base64');
      assert.equal((await post({ type: 'MESSAGE', message: { data } })).status, 202);
      const message = await scheduler.next((e) => e.type === 'MESSAGE', 'the executor message');
      assert.equal(message.type === 'MESSAGE' && message.message.data, data);
      await scheduler.client.message(offer.agent_id, { value: 'by-hand' }, Buffer.from('to the executor'));
      assert.deepEqual(await nextEvent(), {
        type: 'MESSAGE',
        message: { data: Buffer.from('to the executor').toString('base64') },
      });

      await scheduler.client.kill({ value: 'hand-task' });
      assert.deepEqual(await nextEvent(), { type: 'KILL', kill: { task_id: { value: 'hand-task' } } });
      assert.equal(
        (await post({ type: 'UPDATE', update: { status: status({ state: 'TASK_KILLED' }) } })).status,
        202,
      );
      await scheduler.sawUpdate('hand-task', 'TASK_KILLED');
      await events.return?.(undefined);
    },
  );

  it(
    'fails the tasks of an executor that does not subscribe within the registration timeout',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url);
      await scheduler.subscribe();
      const offer = await offerOf(scheduler, impatient);
      const executor = customExecutor('silent', 'sleep 60');
      await scheduler.client.launch(offer, [agentTask(offer, 'never-runs', 'true', { executor })]);
      const failed = await scheduler.sawUpdate('never-runs', 'TASK_FAILED');
      assert.equal(failed.reason, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
      assert.equal(failed.source, 'SOURCE_AGENT');
    },
  );
});
