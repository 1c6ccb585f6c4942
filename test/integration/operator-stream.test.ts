/**
 * The operator event stream (`SUBSCRIBE` on the master's `/api/v1`) against a real master and
 * agent: the SUBSCRIBED snapshot, the first heartbeat, then a framework and its task appearing and
 * changing state; and meso's `KILL_TASK`, which the task's framework sees as TASK_KILLED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OperatorClient, type Json } from '../../services/cli/operator-client.js';
import { readRecords } from '../../services/transport/recordio.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { commandTask, DEFAULT_WAIT_MS, TestScheduler } from '../helpers/scheduler.js';

/** An operator stream whose events are collected as they arrive. */
class OperatorStream implements AsyncDisposable {
  readonly events: Json[] = [];
  private readonly stop = new AbortController();
  private readonly pump: Promise<void>;

  private constructor(body: ReadableStream<Uint8Array>) {
    this.pump = (async () => {
      for await (const event of readRecords(body)) this.events.push(event as Json);
    })().catch(() => undefined);
  }

  static async open(client: OperatorClient): Promise<OperatorStream> {
    const stop = new AbortController();
    const response = await client.post({ type: 'SUBSCRIBE' }, stop.signal);
    assert.ok(response.body !== null);
    const stream = new OperatorStream(response.body);
    stream.stop.signal.addEventListener('abort', () => stop.abort());
    return stream;
  }

  /** Waits for the first event after index `from` that matches; returns its index. */
  async next(matches: (event: Json) => boolean, what: string, from = 0): Promise<number> {
    return waitFor(
      () => {
        const index = this.events.findIndex((e, i) => i >= from && matches(e));
        return index < 0 ? undefined : index;
      },
      DEFAULT_WAIT_MS,
      `${what} (events so far: ${this.events.map((e) => e['type']).join(', ')})`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop.abort();
    await this.pump;
  }
}

const taskIdOf = (event: Json): string | undefined => {
  const added = event['task_added'] as { task: { task_id: { value: string } } } | undefined;
  const updated = event['task_updated'] as { status: { task_id: { value: string } } } | undefined;
  return added?.task.task_id.value ?? updated?.status.task_id.value;
};
const updatedState = (event: Json): string | undefined =>
  (event['task_updated'] as { state: string } | undefined)?.state;

describe('operator API: SUBSCRIBE stream and KILL_TASK', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let client: OperatorClient;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url);
    client = new OperatorClient(master.url);
    await waitFor(
      async () => ((await client.call('GET_AGENTS'))['agents'] as unknown[] | undefined)?.length === 1,
      DEFAULT_WAIT_MS,
      'the agent to register',
    );
  });
  after(() => cluster.stopAll());

  it('sends SUBSCRIBED with the state, a heartbeat, then a task appearing and changing state', async () => {
    await using stream = await OperatorStream.open(client);
    await stream.next((e) => e['type'] === 'HEARTBEAT', 'the first HEARTBEAT');
    const [subscribed, heartbeat] = stream.events;
    assert.equal(subscribed?.['type'], 'SUBSCRIBED');
    assert.equal(heartbeat?.['type'], 'HEARTBEAT');
    const body = subscribed?.['subscribed'] as {
      heartbeat_interval_seconds: number;
      get_state: { get_agents: { agents: { agent_info: { hostname: string } }[] } };
    };
    assert.equal(body.heartbeat_interval_seconds, 15);
    assert.equal(body.get_state.get_agents.agents.length, 1);

    await using scheduler = new TestScheduler(master.url, { name: 'stream-watcher' });
    const frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'streamed-1', 'echo streamed; sleep 0.3')]);

    const added = await stream.next((e) => e['type'] === 'FRAMEWORK_ADDED', 'FRAMEWORK_ADDED');
    const framework = (stream.events[added]?.['framework_added'] as { framework: Json }).framework;
    assert.equal((framework['framework_info'] as { id: { value: string } }).id.value, frameworkId);
    assert.equal(framework['connected'], true);

    const taskAdded = await stream.next(
      (e) => e['type'] === 'TASK_ADDED' && taskIdOf(e) === 'streamed-1',
      'TASK_ADDED of streamed-1',
      added,
    );
    const task = (stream.events[taskAdded]?.['task_added'] as { task: Json }).task;
    assert.equal(task['state'], 'TASK_STAGING');
    assert.deepEqual(task['framework_id'], { value: frameworkId });
    assert.ok((task['resources'] as { name: string }[]).some((r) => r.name === 'cpus'));

    const running = await stream.next(
      (e) =>
        e['type'] === 'TASK_UPDATED' && taskIdOf(e) === 'streamed-1' && updatedState(e) === 'TASK_RUNNING',
      'TASK_UPDATED of streamed-1 to TASK_RUNNING',
      taskAdded,
    );
    const finished = await stream.next(
      (e) =>
        e['type'] === 'TASK_UPDATED' && taskIdOf(e) === 'streamed-1' && updatedState(e) === 'TASK_FINISHED',
      'TASK_UPDATED of streamed-1 to TASK_FINISHED',
      running,
    );
    const update = stream.events[finished]?.['task_updated'] as { framework_id: Json; status: Json };
    assert.deepEqual(update.framework_id, { value: frameworkId });
    assert.equal(update.status['state'], 'TASK_FINISHED');
  });

  it('reports a framework going away as FRAMEWORK_REMOVED', async () => {
    await using stream = await OperatorStream.open(client);
    const scheduler = new TestScheduler(master.url, { name: 'short-lived' });
    const frameworkId = await scheduler.subscribe();
    await scheduler.client.teardown();
    await scheduler[Symbol.asyncDispose]();
    const removedId = (event: Json): unknown =>
      (event['framework_removed'] as { framework_info: Json } | undefined)?.framework_info['id'];
    await stream.next(
      (e) =>
        e['type'] === 'FRAMEWORK_REMOVED' &&
        JSON.stringify(removedId(e)) === JSON.stringify({ value: frameworkId }),
      `FRAMEWORK_REMOVED of ${frameworkId}`,
    );
  });

  it("kills another framework's task with KILL_TASK; the framework sees TASK_KILLED", async () => {
    await using scheduler = new TestScheduler(master.url, { name: 'victim' });
    const frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'sleeper-1', 'sleep 60')]);
    await scheduler.nextUpdate('sleeper-1', 'TASK_RUNNING');

    await client.call('KILL_TASK', { kill_task: { task_id: { value: 'sleeper-1' } } });
    const killed = await scheduler.nextUpdate('sleeper-1', 'TASK_KILLED');
    assert.equal(killed.task_id.value, 'sleeper-1');

    const completed = (await client.call('GET_TASKS'))['completed_tasks'] as Json[];
    const record = completed.find((t) => (t['task_id'] as Json)['value'] === 'sleeper-1');
    assert.equal(record?.['state'], 'TASK_KILLED');
    assert.deepEqual(record?.['framework_id'], { value: frameworkId });

    await assert.rejects(
      client.call('KILL_TASK', { kill_task: { task_id: { value: 'sleeper-1' } } }),
      /already ended in TASK_KILLED/,
    );
    await assert.rejects(
      client.call('KILL_TASK', { kill_task: { task_id: { value: 'no-such-task' } } }),
      (err: Error & { exitCode?: number }) =>
        err.exitCode === 3 && /No active task 'no-such-task'/.test(err.message),
    );
  });
});
