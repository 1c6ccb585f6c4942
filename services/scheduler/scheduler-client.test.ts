import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { encodeRecord } from '../transport/recordio.js';
import { SchedulerCallError } from './errors.js';
import { SchedulerClient, staticMaster } from './scheduler-client.js';

/** What the stand-in master saw of one request. */
interface Received {
  readonly url: string;
  readonly streamId: string | undefined;
  readonly call: { type: string; framework_id?: { value: string }; [key: string]: unknown };
}

type Handler = (received: Received, res: ServerResponse, nth: number) => void;

/** A stand-in master: records every call and lets the test script the answers. */
class FakeMaster {
  readonly received: Received[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(handler: Handler): Promise<FakeMaster> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const master = new FakeMaster(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void readBody(req).then((text) => {
        const streamId = req.headers['mesos-stream-id'];
        const received: Received = {
          url: `${master.url}${req.url ?? ''}`,
          streamId: typeof streamId === 'string' ? streamId : undefined,
          call: JSON.parse(text) as Received['call'],
        };
        master.received.push(received);
        handler(received, res, master.received.filter((r) => r.call.type === received.call.type).length);
      });
    });
    started.push(master);
    return master;
  }

  callsOf(type: string): Received[] {
    return this.received.filter((r) => r.call.type === type);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const started: FakeMaster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** Opens a SUBSCRIBE stream and writes `events`; the connection stays open unless the test ends it. */
function stream(res: ServerResponse, streamId: string, ...events: object[]): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId });
  for (const event of events) res.write(encodeRecord(JSON.stringify(event)));
}

const subscribed = (frameworkId: string, heartbeatSeconds = 15): object => ({
  type: 'SUBSCRIBED',
  subscribed: {
    framework_id: { value: frameworkId },
    heartbeat_interval_seconds: heartbeatSeconds,
    master_info: { id: 'm1', ip: 16777343, port: 5050, hostname: 'm1' },
  },
});

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

const accepted = (res: ServerResponse): void => {
  res.writeHead(202).end();
};

function newClient(master: string): SchedulerClient {
  return new SchedulerClient({
    master: staticMaster(master),
    framework: { user: 'test', name: 'client-test' },
    backoff: { initialMs: 5, maxMs: 20 },
  });
}

describe('SchedulerClient', () => {
  it('delivers typed events and sends calls with the stream id and framework id', async () => {
    const master = await FakeMaster.start((received, res) => {
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
    const leader = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') stream(res, 'S1', subscribed('F1'));
      else accepted(res);
    });
    const follower = await FakeMaster.start((received, res) => {
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
    const master = await FakeMaster.start((received, res, nth) => {
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
    const master = await FakeMaster.start((received, res, nth) => {
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
    const master = await FakeMaster.start((received, res) => {
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
    const master = await FakeMaster.start((_received, res) => {
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
    const master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') {
        events = res;
        return stream(res, 'S1', subscribed('F1'), update('AAAAAAAAAAAAAAAAAAAAAA=='), update());
      }
      accepted(res);
      // The error goes out only after the acknowledgement, which therefore was sent on a live stream.
      events?.write(
        encodeRecord(JSON.stringify({ type: 'ERROR', error: { message: 'Framework has been removed' } })),
      );
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
});
