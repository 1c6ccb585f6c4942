/**
 * Bad input to the scheduler API gets a 4xx whose message names the problem; the master keeps
 * serving, and nothing already accepted is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

describe('scheduler API: bad input', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let scheduler: TestScheduler;
  let frameworkId: string;

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${master.url}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
  const expectStatus = async (response: Promise<Response>, status: number, message: RegExp) => {
    const res = await response;
    const text = await res.text();
    assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
    assert.match(text, message);
  };

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url, { resources: 'cpus:1;mem:512' });
    scheduler = new TestScheduler(master.url, { name: 'victim' });
    frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'precious', 'sleep 120', 'cpus:0.2;mem:32')]);
    await scheduler.nextUpdate('precious', 'TASK_RUNNING');
  });
  after(async () => {
    await scheduler[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('answers malformed JSON with 400 naming the parse error', () =>
    expectStatus(post('{"type": "SUBSCRIBE",'), 400, /Failed to parse Call as JSON/));

  it('answers an unknown call type with 400 naming the field', () =>
    expectStatus(
      post(JSON.stringify({ type: 'LAUNCH_ROCKETS', framework_id: { value: frameworkId } })),
      400,
      /type: Invalid option/,
    ));

  it('answers wrong field types with 400 naming the path', () =>
    expectStatus(
      post(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 7 } } })),
      400,
      /subscribe\.framework_info\.name/,
    ));

  it('answers a missing Mesos-Stream-Id with 400 and a wrong one with 403', async () => {
    const call = JSON.stringify({ type: 'REVIVE', framework_id: { value: frameworkId } });
    await expectStatus(post(call), 400, /Mesos-Stream-Id/);
    await expectStatus(
      post(call, { 'Mesos-Stream-Id': 'not-the-stream' }),
      403,
      /didn't match the stream ID/,
    );
  });

  it('answers an unknown framework with 400 as Mesos does', () =>
    expectStatus(
      post(JSON.stringify({ type: 'REVIVE', framework_id: { value: 'nobody' } }), { 'Mesos-Stream-Id': 'x' }),
      400,
      /cannot be found/,
    ));

  it('answers a 10 MB body with 413 naming the limit', () =>
    expectStatus(post(Buffer.alloc(10 * 1024 * 1024, 0x20)), 413, /exceeds the limit of \d+ bytes/));

  it('answers other content types with 415 and other methods with 405', async () => {
    await expectStatus(
      post('type=SUBSCRIBE', { 'Content-Type': 'application/x-www-form-urlencoded' }),
      415,
      /application\/json/,
    );
    const res = await fetch(`${master.url}/api/v1/scheduler`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
  });

  it('refuses resources beyond an offer with 400 and TASK_ERROR, and gives the offer back', async () => {
    await scheduler.client.revive();
    const [offer] = await scheduler.nextOffers('an offer of what is left');
    const greedy = commandTask(offer!, 'greedy', 'true', 'cpus:64;mem:32');
    await assert.rejects(scheduler.client.launch(offer!, [greedy]), (err: Error) => {
      assert.match(
        err.message,
        /Task 'greedy' uses resources cpus:64;mem:32 that are not in the offered resources/,
      );
      return true;
    });
    const error = await scheduler.nextUpdate('greedy', 'TASK_ERROR');
    assert.equal(error.reason, 'REASON_TASK_INVALID');
    // The offer's resources went back: they are offered again (no filter on a refused call).
    const [again] = await scheduler.nextOffers('the refused offer offered again');
    assert.equal(again!.agent_id.value, offer!.agent_id.value);
    await scheduler.client.decline([again!.id], { refuse_seconds: 60 });
  });

  it('keeps serving, and nothing accepted before is lost', async () => {
    assert.equal((await fetch(`${master.url}/health`)).status, 200);
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as {
      frameworks: { id: string; tasks: { id: string; state: string }[] }[];
    };
    assert.deepEqual(
      state.frameworks.find((f) => f.id === frameworkId)?.tasks.map((t) => [t.id, t.state]),
      [['precious', 'TASK_RUNNING']],
    );
  });
});
