/**
 * A leading master frozen (SIGSTOP: a long GC pause, a suspended VM) past its ZooKeeper session
 * timeout, while a standby takes over. When it thaws (SIGCONT) it must stop acting as leader on
 * its first step: it exits (status 3) with a clear log line, the cluster has exactly one leader,
 * and a restarted master rejoins as a standby. The task running throughout is never lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/cluster.js';
import { exitWithin, masterState, useHaCluster } from '../helpers/ha-cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';
import { sleep, zooKeeperSkipReason } from '../helpers/zookeeper.js';

const SESSION_TIMEOUT_MS = 3000;
const DEADLINE_MS = SESSION_TIMEOUT_MS + 15_000;
/** `meso master`'s exit status after it stopped leading. */
const EXIT_DEPOSED = 3;

describe('HA: a frozen leader thaws', { skip: zooKeeperSkipReason() }, () => {
  const setup = useHaCluster({
    masters: 3,
    masterFlags: { zk_session_timeout: '3secs', allocation_interval: '200ms', agent_ping_timeout: '1secs' },
    agents: [{ zk_session_timeout: '3secs', resources: 'cpus:1;mem:512;disk:512' }],
  });

  it('stops serving as leader at once, exits, and leaves exactly one leader', async () => {
    const frozen = await setup.ha.leader(DEADLINE_MS);
    await using scheduler = new TestScheduler(setup.ha.live.at(-1)!.url, {
      name: 'patient',
      failover_timeout: 3600,
      capabilities: [{ type: 'PARTITION_AWARE' }],
    });
    const frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'steady', 'sleep 600')]);
    await scheduler.nextUpdate('steady', 'TASK_RUNNING');

    process.kill(frozen.pid, 'SIGSTOP');
    let thawed = false;
    try {
      // Frozen past its session timeout: ZooKeeper expires its session and a standby is elected.
      const successor = await setup.ha.leader(DEADLINE_MS, frozen);
      await sleep(SESSION_TIMEOUT_MS); // stay frozen a while longer, with a successor leading
      // Queued while frozen, so the thawed master may handle it before any timer or ZooKeeper
      // event: a leader would answer 400 (empty call), a deposed master must not.
      const queued = fetch(`${frozen.url}/api/v1/scheduler`, { method: 'POST', redirect: 'manual' }).then(
        (res) => String(res.status),
        () => 'connection closed',
      );
      await sleep(200);
      process.kill(frozen.pid, 'SIGCONT');
      thawed = true;
      assert.ok(['307', '503', 'connection closed'].includes(await queued), `answered ${await queued}`);

      assert.equal((await exitWithin(frozen, DEADLINE_MS))?.code, EXIT_DEPOSED, 'the thawed master exits');
      assert.match(await frozen.log(), /stopped acting as the leading master/);
      assert.equal(await setup.ha.leader(DEADLINE_MS), successor, 'the successor alone leads');

      // The supervisor restarts the old master; it joins as a standby.
      const restarted = await setup.ha.add();
      const state = await setup.ha.following(restarted, successor, DEADLINE_MS);
      assert.equal(state.elected_time, undefined);
      const redirect = await fetch(`${restarted.url}/api/v1/scheduler`, {
        method: 'POST',
        redirect: 'manual',
      });
      assert.equal(redirect.status, 307);

      await waitFor(
        async () =>
          (await masterState(successor)).frameworks
            .find((f) => f.id === frameworkId)
            ?.tasks.some((t) => t.id === 'steady' && t.state === 'TASK_RUNNING'),
        DEADLINE_MS,
        'the task re-learned by the successor',
      );
      await waitFor(() => scheduler.client.reconcile().then(() => true), DEADLINE_MS, 'RECONCILE accepted');
      await scheduler.nextUpdate('steady', 'TASK_RUNNING', DEADLINE_MS);
      const bad = scheduler.events.filter(
        (e) =>
          e.type === 'UPDATE' &&
          ['TASK_LOST', 'TASK_UNREACHABLE', 'TASK_GONE'].includes(e.update.status.state),
      );
      assert.deepEqual(bad, [], `events: ${scheduler.summary()}`);
    } finally {
      if (!thawed) process.kill(frozen.pid, 'SIGCONT');
    }
  });
});
