/**
 * Start-up with ZooKeeper going wrong: a malformed `--zk` URL and an ensemble that does not answer
 * end `meso master` / `meso agent` once, with an exit status and a message naming the problem (no
 * stack trace, no retry loop); a garbage election node is skipped with a log line, and what our
 * masters write is the MasterInfo JSON Mesos clients read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseZkUrl } from '../../services/coordination/index.js';
import { openZkSession } from '../../services/coordination/zookeeper/zk-client.js';
import { systemClock } from '../../services/core/clock.js';
import { silentLogger } from '../../services/log/logger.js';
import { Cluster, freePort, waitFor } from '../helpers/cluster.js';
import { HaMasters, masterState, runMeso, zkGroupUrl } from '../helpers/ha-cluster.js';
import { type ExposedSample, scrape, sumOf } from '../helpers/prometheus.js';
import { startZooKeeper, zooKeeperSkipReason, type ZooKeeperServer } from '../helpers/zookeeper.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const RUN_TIMEOUT_MS = 20_000;
/** What an uncaught exception prints; a clear start-up error prints none. */
const STACK_FRAME = /^\s+at /m;

describe('HA: start-up errors', () => {
  it('refuses a malformed --zk URL with a usage error', async () => {
    for (const role of ['master', 'agent'] as const) {
      const flag = role === 'master' ? '--zk' : '--master';
      const { code, output } = await runMeso(
        [role, flag, 'zk://127.0.0.1:2181', '--port', '0'],
        RUN_TIMEOUT_MS,
      );
      assert.equal(code, EXIT_USAGE, `${role}: ${output}`);
      assert.match(output, /invalid ZooKeeper URL 'zk:\/\/127\.0\.0\.1:2181': it has no path/);
      assert.doesNotMatch(output, STACK_FRAME);
    }
  });

  it('exits once, naming the URL, when no ZooKeeper server answers', async () => {
    const url = `zk://127.0.0.1:${await freePort()}/meso`;
    for (const role of ['master', 'agent'] as const) {
      const flag = role === 'master' ? '--zk' : '--master';
      const args = [
        role,
        flag,
        url,
        '--zk_session_timeout',
        '2secs',
        '--port',
        '0',
        '--work_dir',
        '/tmp/meso-ha-x',
      ];
      const { code, output } = await runMeso(args, RUN_TIMEOUT_MS);
      assert.equal(code, EXIT_FAILURE, `${role}: ${output}`);
      assert.match(output, new RegExp(`no ZooKeeper server of ${url} answered within 2000 ms`));
      assert.doesNotMatch(output, STACK_FRAME);
    }
  });
});

describe('HA: election nodes', { skip: zooKeeperSkipReason() }, () => {
  const cluster = new Cluster();
  let zk: ZooKeeperServer;

  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    await cluster.stopAll();
    await zk?.destroy();
  });

  it('skips a garbage node that sorts first and writes MasterInfo JSON Mesos clients read', async () => {
    const zkUrl = zkGroupUrl(zk.connectString);
    const { path } = parseZkUrl(zkUrl);
    await using raw = await openZkSession({
      url: parseZkUrl(zkUrl),
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 5000,
      clock: systemClock,
      log: silentLogger,
    });
    await raw.mkdirp(path);
    const garbage = await raw.create(
      `${path}/json.info_`,
      Buffer.from('{"id": "half'),
      'ephemeral-sequential',
    );

    const ha = new HaMasters(cluster, zkUrl, { zk_session_timeout: '3secs' });
    await ha.start(2);
    const leader = await ha.leader(15_000);
    assert.equal(leader, ha.live[0], 'the first master started leads, past the garbage');
    const skipped = `"node":"${garbage.split('/').at(-1)}".*"msg":"election node skipped"`;
    assert.match(await leader.log(), new RegExp(skipped));

    // Mesos's detectors and schedulers read the lowest readable `json.info_` member.
    const members = (await raw.getChildren(path)).filter((name) => name.startsWith('json.info_')).sort();
    assert.equal(`${path}/${members[0]}`, garbage);
    const node = JSON.parse((await raw.getData(`${path}/${members[1]}`)).data.toString()) as Record<
      string,
      unknown
    >;
    const state = await masterState(leader);
    assert.deepEqual(node, {
      id: state.id,
      ip: 16_777_343,
      port: leader.port,
      pid: `master@127.0.0.1:${leader.port}`,
      hostname: state.leader_info?.hostname,
      version: '1.11.0',
      address: { hostname: state.leader_info?.hostname, ip: '127.0.0.1', port: leader.port },
      capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'QUOTA_V2' }],
    });

    // Every master, leader or standby, reports its ZooKeeper session connected (a standby once
    // it has entered the election).
    for (const master of ha.live) {
      const session = (samples: ExposedSample[], state: string): number =>
        sumOf(samples, 'meso_master_zookeeper_session_state', { state });
      const samples = await waitFor(
        async () => {
          const scraped = await scrape(master.url);
          return session(scraped, 'connected') === 1 && scraped;
        },
        15_000,
        `${master.url} to report its ZooKeeper session connected`,
      );
      assert.equal(session(samples, 'disconnected') + session(samples, 'expired'), 0, master.url);
    }
  });
});
