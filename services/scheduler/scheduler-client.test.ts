import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { SchedulerCallError } from './errors.js';
import { staticMaster } from './master-locator.js';
import { SchedulerClient } from './scheduler-client.js';
import {
  accepted,
  FakeMaster,
  openStream as stream,
  subscribedEvent as subscribed,
  writeEvents,
} from './testing/fake-master.js';

const OFFER = {
  id: { value: 'm1-O1' },
  framework_id: { value: 'F1' },
  agent_id: { value: 'm1-S1' },
  hostname: 'agent1',
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: '*', allocation_info: { role: '*' } },
  ],
  allocation_info: { role: '*' },
};

const update = (uuid?: string): object => ({
  type: 'UPDATE',
  update: {
    status: {
      task_id: { value: 't1' },
      state: 'TASK_RUNNING',
      agent_id: { value: 'm1-S1' },
      ...(uuid && { uuid }),
    },
  },
});

function newClient(master: string): SchedulerClient {
  return new SchedulerClient({
    master: staticMaster(master),
    framework: { user: 'test', name: 'client-test' },
    backoff: { initialMs: 5, maxMs: 20 },
  });
}

describe('SchedulerClient', () => {
  it('delivers typed events and sends calls with the stream id and framework id', async () => {
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE')
        stream(res, 'S1', subscribed('F1'), { type: 'OFFERS', offers: { offers: [OFFER] } });
      else accepted(res);
    });
    await using client = newClient(master.url);
    const events = client.subscribe();

    const first = await events.next();
    assert.equal(first.value?.type, 'SUBSCRIBED');
    assert.deepEqual(client.frameworkId, { value: 'F1' });
    const second = await events.next();
    assert.ok(second.value?.type === 'OFFERS');
    const offer = second.value.offers.offers[0];
    assert.ok(offer !== undefined);
    assert.equal(offer.resources[0]?.scalar?.value, 2);

    await client.decline([offer.id], { refuse_seconds: 10 });
    const [subscribe] = master.callsOf('SUBSCRIBE');
    assert.equal(subscribe?.streamId, undefined);
    assert.equal(subscribe?.url, `${master.url}/api/v1/scheduler`);
    const [decline] = master.callsOf('DECLINE');
    assert.equal(decline?.streamId, 'S1');
    assert.deepEqual(decline?.call, {
      type: 'DECLINE',
      decline: { offer_ids: [{ value: 'm1-O1' }], filters: { refuse_seconds: 10 } },
      framework_id: { value: 'F1' },
    });
  });

  it('follows a protocol-relative 307 to the leader for SUBSCRIBE and later calls', async () => {
    await using leader = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') stream(res, 'S1', subscribed('F1'));
      else accepted(res);
    });
    await using follower = await FakeMaster.start((received, res) => {
      res.writeHead(307, { Location: `//${new URL(leader.url).host}/api/v1/scheduler` }).end();
    });
    await using client = newClient(follower.url);
    const events = client.subscribe();

    assert.equal((await events.next()).value?.type, 'SUBSCRIBED');
    await client.revive();
    assert.deepEqual(
      follower.received.map((r) => r.call.type),
      ['SUBSCRIBE'],
    );
    assert.deepEqual(
      leader.received.map((r) => [r.call.type, r.streamId]),
      [
        ['SUBSCRIBE', undefined],
        ['REVIVE', 'S1'],
      ],
    );
  });

  it('re-subscribes with its framework id after the stream drops, then uses the new stream id', async () => {
    await using master = await FakeMaster.start((received, res, nth) => {
      if (received.call.type !== 'SUBSCRIBE') return accepted(res);
      stream(res, `S${nth}`, subscribed('F1'));
      if (nth === 1) res.end();
    });
    await using client = newClient(master.url);
    const events = client.subscribe();

    assert.equal((await events.next()).value?.type, 'SUBSCRIBED');
    assert.equal((await events.next()).value?.type, 'SUBSCRIBED');
    await client.reconcile([{ task_id: { value: 't1' } }]);

    const [, again] = master.callsOf('SUBSCRIBE');
    assert.deepEqual(again?.call.framework_id, { value: 'F1' });
    assert.deepEqual((again?.call.subscribe as { framework_info: { id: unknown } }).framework_info.id, {
      value: 'F1',
    });
    assert.equal(master.callsOf('RECONCILE')[0]?.streamId, 'S2');
  });

  it('retries 503 "no leader" and a stream whose heartbeats stop', async () => {
    await using master = await FakeMaster.start((received, res, nth) => {
      if (nth === 1) return void res.writeHead(503).end('No leader elected');
      // 5 missed heartbeats of 10ms: the client gives up on this stream after 50ms.
      stream(res, `S${nth}`, subscribed('F1', nth === 2 ? 0.01 : 15));
    });
    await using client = newClient(master.url);
    const events = client.subscribe();

    assert.equal((await events.next()).value?.type, 'SUBSCRIBED');
    assert.equal((await events.next()).value?.type, 'SUBSCRIBED');
    assert.equal(master.callsOf('SUBSCRIBE').length, 3);
    assert.equal(client.currentState, 'subscribed');
  });

  it("throws a typed error carrying the master's status and message", async () => {
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') stream(res, 'S1', subscribed('F1'));
      else res.writeHead(400).end('Framework cannot be found');
    });
    await using client = newClient(master.url);
    const events = client.subscribe();
    await events.next();

    await assert.rejects(client.kill({ value: 't1' }), (err: unknown) => {
      assert.ok(err instanceof SchedulerCallError);
      assert.equal(err.status, 400);
      assert.equal(err.masterMessage, 'Framework cannot be found');
      assert.equal(err.callType, 'KILL');
      assert.equal(err.retryable, false);
      return true;
    });
  });

  it('ends the event stream with the error when SUBSCRIBE is refused for good', async () => {
    await using master = await FakeMaster.start((_received, res) => {
      res.writeHead(400).end('Failed to validate framework_info');
    });
    await using client = newClient(master.url);

    await assert.rejects(
      async () => {
        for await (const event of client.subscribe()) assert.fail(`unexpected ${event.type}`);
      },
      (err: unknown) => err instanceof SchedulerCallError && err.status === 400,
    );
    assert.equal(client.currentState, 'closed');
    assert.equal(master.callsOf('SUBSCRIBE').length, 1);
  });

  it('acknowledges reliable updates once handled, and closes after an ERROR event', async () => {
    let events: ServerResponse | undefined;
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') {
        events = res;
        return stream(res, 'S1', subscribed('F1'), update('AAAAAAAAAAAAAAAAAAAAAA=='), update());
      }
      accepted(res);
      // The error goes out only after the acknowledgement, which therefore was sent on a live stream.
      if (events !== undefined)
        writeEvents(events, { type: 'ERROR', error: { message: 'Framework has been removed' } });
    });
    await using client = newClient(master.url);

    const seen: string[] = [];
    for await (const event of client.subscribe()) seen.push(event.type);

    assert.deepEqual(seen, ['SUBSCRIBED', 'UPDATE', 'UPDATE', 'ERROR']);
    assert.deepEqual(
      master.callsOf('ACKNOWLEDGE').map((r) => r.call.acknowledge),
      [{ agent_id: { value: 'm1-S1' }, task_id: { value: 't1' }, uuid: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
    );
    assert.equal(client.currentState, 'closed');
    assert.equal(master.callsOf('SUBSCRIBE').length, 1);
  });

  it('completes a TEARDOWN that the master answers only after ending the stream with ERROR', async () => {
    let subscription: ServerResponse | undefined;
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') {
        subscription = res;
        return stream(res, 'S1', subscribed('F1'));
      }
      // What the master does: remove the framework (ERROR on its stream), then answer the call.
      if (subscription !== undefined)
        writeEvents(subscription, { type: 'ERROR', error: { message: 'Framework removed' } });
      setTimeout(() => accepted(res), 20);
    });
    await using client = newClient(master.url);
    const events = client.subscribe();
    await events.next();

    await client.teardown();
    assert.equal((await events.next()).value?.type, 'ERROR');
    assert.equal((await events.next()).done, true);
    assert.equal(master.callsOf('TEARDOWN').length, 1);
  });
});
