/**
 * GET_MASTER on the leading master lists the standbys (a meso extension): the MasterInfo of every
 * other member of the ZooKeeper election group, as the leader's detector sees them. When a standby
 * dies, it leaves the list once its session expires.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/cluster.js';
import { masterState, useHaCluster } from '../helpers/ha-cluster.js';
import { zooKeeperSkipReason } from '../helpers/zookeeper.js';

const MASTER_FLAGS = { zk_session_timeout: '3secs', quorum: 2, allocation_interval: '200ms' };

interface MasterInfoJson {
  readonly id: string;
  readonly hostname?: string;
  readonly port: number;
}

async function getMaster(url: string): Promise<{ master_info: MasterInfoJson; standbys?: MasterInfoJson[] }> {
  const res = await fetch(`${url}/api/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'GET_MASTER' }),
    signal: AbortSignal.timeout(3000),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { type: string; get_master: never };
  assert.equal(body.type, 'GET_MASTER');
  return body.get_master;
}

describe('HA: standbys in GET_MASTER', { skip: zooKeeperSkipReason() }, () => {
  const setup = useHaCluster({ masters: 3, masterFlags: MASTER_FLAGS });

  it('lists the two standbys on the leader, and drops a dead one', async () => {
    const leader = await setup.ha.leader(20_000);
    const leaderId = (await masterState(leader)).id;
    const standbyIds = await Promise.all(
      setup.ha.live.filter((m) => m !== leader).map(async (m) => (await masterState(m)).id),
    );
    assert.equal(standbyIds.length, 2);

    let answer = await getMaster(leader.url);
    await waitFor(
      async () => {
        answer = await getMaster(leader.url);
        return (answer.standbys ?? []).length === 2;
      },
      10_000,
      'two standbys in GET_MASTER',
    );
    assert.equal(answer.master_info.id, leaderId);
    assert.deepEqual((answer.standbys ?? []).map((s) => s.id).sort(), [...standbyIds].sort());
    for (const s of answer.standbys ?? []) {
      const process = setup.ha.live.find((m) => m.port === s.port);
      assert.notEqual(process, undefined, `standby ${s.id} at port ${s.port} is one of ours`);
      assert.notEqual(process, leader);
    }

    const victim = setup.ha.standby(leader);
    const victimId = (await masterState(victim)).id;
    await setup.ha.kill(victim);
    await waitFor(
      async () => {
        const ids = ((await getMaster(leader.url)).standbys ?? []).map((s) => s.id);
        return ids.length === 1 && !ids.includes(victimId);
      },
      20_000,
      'the killed standby to leave GET_MASTER',
    );
  });
});
