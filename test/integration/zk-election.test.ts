/**
 * Leader election and detection against a real ZooKeeper: who leads, what the nodes look like to
 * Mesos clients, and how members that are not ours are treated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Candidacy,
  leaderChanges,
  type MasterDetector,
  parseZkUrl,
  startZkMasterDetector,
  zkMasterContender,
  type ZkCoordinationOptions,
} from '../../services/coordination/index.js';
import { openZkSession } from '../../services/coordination/zookeeper/zk-client.js';
import type { ZkSession } from '../../services/coordination/zookeeper/zk-session.js';
import type { MasterInfo } from '../../services/core/v1/cluster.js';
import {
  masterInfoFixture,
  recordingObserver,
  startZooKeeper,
  waitUntil,
  type ZooKeeperServer,
  zkTestOptions,
  zooKeeperSkipReason,
} from '../helpers/zookeeper.js';

describe('ZooKeeper leader election', { skip: zooKeeperSkipReason() }, () => {
  let zk: ZooKeeperServer;
  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    await zk?.destroy();
  });

  /** A raw session for looking at and tampering with the group. */
  async function rawSession(options: ZkCoordinationOptions): Promise<ZkSession> {
    return openZkSession({ ...options, sessionTimeoutMs: 10_000, connectTimeoutMs: 5000 });
  }

  /** Follows the detector in the background; `seen` lists each change's master id (`none` for no leader). */
  function follow(detector: MasterDetector): { readonly seen: string[]; stop(): void } {
    const controller = new AbortController();
    const seen: string[] = [];
    void (async () => {
      for await (const leader of leaderChanges(detector, controller.signal)) seen.push(leader?.id ?? 'none');
    })();
    return { seen, stop: () => controller.abort() };
  }

  it('elects exactly one leader, the lowest sequence, and stores Mesos-shaped MasterInfo JSON', async () => {
    const options = zkTestOptions(zk.connectString);
    const contender = zkMasterContender(options);
    const masters = [1, 2, 3].map(masterInfoFixture);
    const observers = masters.map(() => recordingObserver());
    const candidacies = await Promise.all(
      masters.map((m, i) => contender.contend(m, observers[i] ?? recordingObserver())),
    );
    await waitUntil('a leader is elected', () => candidacies.some((c) => c.isLeader()));
    await using raw = await rawSession(options);

    const children = (await raw.getChildren(options.url.path)).sort();
    assert.equal(children.length, 3);
    for (const child of children) assert.match(child, /^json\.info_\d{10}$/);
    const stored = await Promise.all(
      children.map(async (child) => (await raw.getData(`${options.url.path}/${child}`)).data.toString()),
    );
    const lowest = JSON.parse(stored[0] ?? '') as MasterInfo;
    const leaderIndex = candidacies.findIndex((c) => c.isLeader());
    assert.equal(lowest.id, masters[leaderIndex]?.id, 'the lowest sequence leads');
    assert.deepEqual(
      candidacies.map((c) => c.state()).sort(),
      ['candidate', 'candidate', 'leader'],
      'exactly one leader',
    );
    // Byte for byte what a Mesos master writes: proto field order, every field set.
    assert.equal(
      stored[0],
      JSON.stringify({
        id: lowest.id,
        ip: 16_777_343,
        port: lowest.port,
        pid: `master@127.0.0.1:${lowest.port}`,
        hostname: lowest.hostname,
        version: '1.11.0',
        address: { hostname: lowest.hostname, ip: '127.0.0.1', port: lowest.port },
        capabilities: [{ type: 'AGENT_UPDATE' }],
      }),
    );
    assert.deepEqual(
      observers.map((o) => o.events),
      masters.map((_, i) => (i === leaderIndex ? ['elected'] : [])),
    );
    await Promise.all(candidacies.map((c) => c.withdraw()));
  });

  it('hands leadership down in sequence order as leaders leave, and the detector sees every change', async () => {
    const options = zkTestOptions(zk.connectString);
    await using detector = await startZkMasterDetector(options);
    const followed = follow(detector);
    const contender = zkMasterContender(options);
    const candidacies: Candidacy[] = [];
    for (const n of [1, 2, 3])
      candidacies.push(await contender.contend(masterInfoFixture(n), recordingObserver()));
    const [c1, c2, c3] = candidacies as [Candidacy, Candidacy, Candidacy];

    await waitUntil('master-1 leads', () => c1.isLeader() && followed.seen.at(-1) === 'master-1');
    await c1.withdraw(); // closes its session: the node goes at once
    await waitUntil('master-2 leads', () => c2.isLeader() && followed.seen.at(-1) === 'master-2');
    assert.equal(c3.isLeader(), false);
    await c2.withdraw();
    await waitUntil('master-3 leads', () => c3.isLeader() && followed.seen.at(-1) === 'master-3');
    await c3.withdraw();
    await waitUntil('no leader is left', () => followed.seen.at(-1) === 'none');
    followed.stop();
    assert.deepEqual(followed.seen, ['master-1', 'master-2', 'master-3', 'none']);
  });

  it('skips garbage, foreign-label and non-numeric children, and detects a Mesos master', async () => {
    const options = zkTestOptions(zk.connectString);
    const { path } = options.url;
    await using raw = await rawSession(options);
    await raw.mkdirp(path);
    // Lower sequences than any contender below, so they would lead if they counted.
    await raw.create(`${path}/json.info_`, Buffer.from('{"id": "half'), 'ephemeral-sequential');
    await raw.create(`${path}/info_`, Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63]), 'ephemeral-sequential');
    await raw.create(`${path}/json.info_`, Buffer.from('{"ip": 1}'), 'ephemeral-sequential');
    await raw.create(`${path}/log_replicas`, Buffer.alloc(0), 'persistent');
    await raw.create(`${path}/json.info_latest`, Buffer.alloc(0), 'persistent');

    await using detector = await startZkMasterDetector(options);
    const candidacy = await zkMasterContender(options).contend(masterInfoFixture(7), recordingObserver());
    await waitUntil('the contender leads past the garbage', () => candidacy.isLeader());
    assert.equal((await detector.detect(undefined))?.id, 'master-7');

    // A real Mesos master joining later sorts after us and does not lead.
    const mesosJson =
      '{"id":"3a0c-mesos","ip":184549386,"port":5050,"pid":"master@10.0.0.11:5050","hostname":"m1.example",' +
      '"version":"1.11.0","address":{"hostname":"m1.example","ip":"10.0.0.11","port":5050},' +
      '"domain":{"fault_domain":{"region":{"name":"us-east"},"zone":{"name":"a"}}},' +
      '"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}]}';
    const mesosNode = await raw.create(`${path}/json.info_`, Buffer.from(mesosJson), 'ephemeral-sequential');
    await candidacy.withdraw();
    const mesos = await detector.detect(masterInfoFixture(7));
    assert.deepEqual(mesos, {
      id: '3a0c-mesos',
      ip: 184_549_386,
      port: 5050,
      pid: 'master@10.0.0.11:5050',
      hostname: 'm1.example',
      version: '1.11.0',
      address: { hostname: 'm1.example', ip: '10.0.0.11', port: 5050 },
      capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
    });
    await raw.delete(mesosNode);
    assert.equal(await detector.detect(mesos), undefined);
  });

  it('re-enters the election when its node is deleted from outside, and the next master leads', async () => {
    const options = zkTestOptions(zk.connectString);
    const contender = zkMasterContender(options);
    const first = recordingObserver();
    const c1 = await contender.contend(masterInfoFixture(1), first);
    const c2 = await contender.contend(masterInfoFixture(2), recordingObserver());
    await waitUntil('master-1 leads', () => c1.isLeader());
    await using raw = await rawSession(options);
    const [lowest] = (await raw.getChildren(options.url.path)).sort();
    await raw.delete(`${options.url.path}/${lowest ?? ''}`);

    await waitUntil('master-2 leads', () => c2.isLeader());
    await waitUntil('master-1 is a candidate again', () => c1.state() === 'candidate');
    assert.deepEqual(first.events, ['elected', 'lost:membership-removed:leader']);
    assert.equal((await raw.getChildren(options.url.path)).length, 2, 'master-1 has exactly one node again');
    await Promise.all([c1.withdraw(), c2.withdraw()]);
  });

  it('with digest credentials, nodes are readable by everyone and writable only by their creator', async () => {
    const open = zkTestOptions(zk.connectString);
    const secured = { ...open, url: parseZkUrl(`zk://ops:pw@${zk.connectString}${open.url.path}`) };
    const candidacy = await zkMasterContender(secured).contend(masterInfoFixture(1), recordingObserver());
    await waitUntil('the secured master leads', () => candidacy.isLeader());
    await using anonymousDetector = await startZkMasterDetector(open);
    assert.equal((await anonymousDetector.detect(undefined))?.id, 'master-1');
    await using raw = await rawSession(open);
    const [node] = await raw.getChildren(open.url.path);
    await assert.rejects(raw.setData(`${open.url.path}/${node ?? ''}`, Buffer.from('{}'), -1), {
      failure: 'no-auth',
    });
    await candidacy.withdraw();
  });
});
