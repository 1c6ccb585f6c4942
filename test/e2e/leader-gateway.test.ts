/**
 * The compose gateway (`images/runtime/leader-gateway.ts`) against fake masters on loopback: each
 * fake answers `/master/redirect` with the leader it believes in, redirects leader-only calls as a
 * standby does, and answers `/master/state` itself (a standby's empty view), as real masters do.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { startLeaderGateway, type LeaderGateway } from '../../images/runtime/leader-gateway.js';
import { silentLogger } from '../../services/log/logger.js';

interface FakeMaster {
  readonly name: string;
  readonly origin: string;
  /** `host:port` of the master this one believes leads; `undefined`: none elected (503). */
  leader: string | undefined;
  /** Requests seen, as `METHOD path body`. */
  readonly seen: string[];
  close(): Promise<void>;
}

async function fakeMaster(name: string): Promise<FakeMaster> {
  const master: { -readonly [K in keyof FakeMaster]: FakeMaster[K] } = {
    name,
    origin: '',
    leader: undefined,
    seen: [],
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      master.seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`.trim());
      const leads = master.leader === master.origin;
      if (master.leader === undefined) {
        res.writeHead(503).end('No leader elected');
      } else if (req.url === '/master/redirect') {
        res.writeHead(307, { location: `//${master.leader}` }).end();
      } else if (req.url === '/master/state') {
        // Every master answers `/state` itself: only the leader's names itself as leader.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hostname: name, leads }));
      } else if (!leads) {
        res.writeHead(307, { location: `//${master.leader}${req.url}` }).end();
      } else if (req.url === '/api/v1/scheduler') {
        // An event stream: headers now, events later.
        res.writeHead(200, { 'content-type': 'application/recordio', 'mesos-stream-id': 'stream-1' });
        res.write(`7\nevent-1`);
        setTimeout(() => res.end(`7\nevent-2`), 50);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} answered ${req.method}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  master.origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  master.close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return master;
}

/** Three fake masters; `leaderIndex` leads and every other names it. */
async function cluster(leaderIndex: number | undefined): Promise<FakeMaster[]> {
  const masters = await Promise.all(['m1', 'm2', 'm3'].map(fakeMaster));
  const leader = leaderIndex === undefined ? undefined : masters[leaderIndex]!.origin;
  for (const m of masters) m.leader = leader;
  return masters;
}

describe('leader gateway', () => {
  const open: { masters: FakeMaster[]; gateway: LeaderGateway }[] = [];
  const start = async (leaderIndex: number | undefined, masterList?: (m: FakeMaster[]) => string[]) => {
    const masters = await cluster(leaderIndex);
    const gateway = await startLeaderGateway(
      {
        masters: masterList?.(masters) ?? masters.map((m) => m.origin),
        host: '127.0.0.1',
        port: 0,
        upstreamTimeoutMs: 2000,
      },
      silentLogger,
    );
    open.push({ masters, gateway });
    return { masters, gateway };
  };
  afterEach(async () => {
    for (const { masters, gateway } of open.splice(0)) {
      await gateway.stop();
      await Promise.all(masters.map((m) => m.close()));
    }
  });

  it("serves the leader's /master/state, not the first master's own view", async () => {
    const { gateway } = await start(2);
    const response = await fetch(`${gateway.url}/master/state`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { hostname: 'm3', leads: true });
  });

  it('replays a POST with its body and headers on the leader', async () => {
    const { masters, gateway } = await start(1);
    const response = await fetch(`${gateway.url}/api/v1/operator`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
      body: '{"type":"GET_HEALTH"}',
    });
    assert.equal(await response.text(), 'm2 answered POST');
    assert.deepEqual(
      masters[1]!.seen.filter((s) => s.startsWith('POST')),
      ['POST /api/v1/operator {"type":"GET_HEALTH"}'],
    );
  });

  it('streams an event stream through with its headers', async () => {
    const { gateway } = await start(0);
    const response = await fetch(`${gateway.url}/api/v1/scheduler`, { method: 'POST', body: '{}' });
    assert.equal(response.headers.get('mesos-stream-id'), 'stream-1');
    assert.equal(await response.text(), '7\nevent-17\nevent-2');
  });

  it('skips a master that is down and asks the next', async () => {
    const { masters, gateway } = await start(2);
    await masters[0]!.close();
    const response = await fetch(`${gateway.url}/master/state`);
    assert.deepEqual(await response.json(), { hostname: 'm3', leads: true });
  });

  it('follows the leader when the leadership moves', async () => {
    const { masters, gateway } = await start(0);
    assert.deepEqual(await (await fetch(`${gateway.url}/master/state`)).json(), {
      hostname: 'm1',
      leads: true,
    });
    await masters[0]!.close();
    for (const m of masters) m.leader = masters[1]!.origin;
    assert.deepEqual(await (await fetch(`${gateway.url}/master/state`)).json(), {
      hostname: 'm2',
      leads: true,
    });
  });

  it('answers 503 naming the masters when none names a leader', async () => {
    const { masters, gateway } = await start(undefined);
    const response = await fetch(`${gateway.url}/master/state`);
    assert.equal(response.status, 503);
    const text = await response.text();
    for (const m of masters) assert.ok(text.includes(m.origin), text);
  });

  it('answers its own health check without asking a master', async () => {
    const { masters, gateway } = await start(undefined);
    const response = await fetch(`${gateway.url}/gateway/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(
      masters.flatMap((m) => m.seen),
      [],
    );
  });
});
