/**
 * Task history survives a master failover: the new leader rebuilds completed frameworks and
 * completed tasks from what the agents remember when they re-register (master state is soft).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/cluster.js';
import { masterState, useHaCluster, QUICK_FAILOVER_MASTER_FLAGS } from '../helpers/ha-cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';
import { zooKeeperSkipReason } from '../helpers/zookeeper.js';

interface HistoryState {
  frameworks: { id: string; completed_tasks: { id: string; state: string }[] }[];
  completed_frameworks: { id: string; completed_tasks: { id: string; state: string }[] }[];
}

describe('HA: task history, weights and quota across a failover', { skip: zooKeeperSkipReason() }, () => {
  const setup = useHaCluster({
    masters: 2,
    masterFlags: QUICK_FAILOVER_MASTER_FLAGS,
    agents: [{ zk_session_timeout: '3secs', resources: 'cpus:2;mem:1024' }],
  });

  it('keeps completed frameworks and completed tasks on the new leader', async () => {
    const leader = await setup.ha.leader(20_000);
    // A framework that finishes a task and tears down, and one that stays with a finished task.
    const gone = new TestScheduler(leader.url, { name: 'gone' });
    const goneId = await gone.subscribe();
    const [offer] = await gone.nextOffers();
    await gone.client.launch(offer!, [commandTask(offer!, 'gone-task', 'echo done')]);
    await gone.nextUpdate('gone-task', 'TASK_FINISHED');
    await gone.client.teardown();
    await gone[Symbol.asyncDispose]();
    await using stays = new TestScheduler(leader.url, { name: 'stays', failover_timeout: 300 });
    const staysId = await stays.subscribe();
    const [offer2] = await stays.nextOffers();
    await stays.client.launch(offer2!, [commandTask(offer2!, 'stays-task', 'true')]);
    await stays.nextUpdate('stays-task', 'TASK_FINISHED');
    // Let the agent see the acknowledgements before the leader dies.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await setup.ha.kill(leader);
    const next = await setup.ha.leader(30_000, leader);
    const state = await waitFor(
      async () => {
        const s = (await masterState(next)) as unknown as HistoryState & { slaves: unknown[] };
        return s.slaves.length === 1 && s.completed_frameworks.length > 0 && s;
      },
      30_000,
      'the agent re-registered with its history on the new leader',
    );
    assert.deepEqual(
      state.completed_frameworks.find((f) => f.id === goneId)?.completed_tasks.map((t) => [t.id, t.state]),
      [['gone-task', 'TASK_FINISHED']],
    );
    assert.deepEqual(
      state.frameworks.find((f) => f.id === staysId)?.completed_tasks.map((t) => [t.id, t.state]),
      [['stays-task', 'TASK_FINISHED']],
    );
  });

  it('keeps weights and quota set through the operator API', async () => {
    const operator = async (url: string, call: object): Promise<Response> =>
      fetch(`${url}/api/v1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(call),
      });
    const leader = await setup.ha.leader(30_000);
    const weights = await operator(leader.url, {
      type: 'UPDATE_WEIGHTS',
      update_weights: { weight_infos: [{ role: 'eng', weight: 2.5 }] },
    });
    assert.equal(weights.status, 200, await weights.text());
    const quota = await operator(leader.url, {
      type: 'UPDATE_QUOTA',
      update_quota: {
        quota_configs: [{ role: 'eng', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }],
      },
    });
    assert.equal(quota.status, 200, await quota.text());

    await setup.ha.add(); // keep a standby to take over
    await setup.ha.kill(leader);
    const next = await setup.ha.leader(30_000, leader);
    const got = await waitFor(
      async () => {
        const res = await operator(next.url, { type: 'GET_WEIGHTS' });
        return (
          res.ok &&
          ((await res.json()) as { get_weights: { weight_infos: { role: string; weight: number }[] } })
        );
      },
      30_000,
      'GET_WEIGHTS on the new leader',
    );
    assert.deepEqual(got.get_weights.weight_infos, [{ role: 'eng', weight: 2.5 }]);
    const quotaRes = await operator(next.url, { type: 'GET_QUOTA' });
    const text = await quotaRes.text();
    assert.match(text, /"role":"eng"/, text);
  });
});
