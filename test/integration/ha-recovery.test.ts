/**
 * What a new leader recovers from the registry. One agent is frozen (SIGSTOP) when the leader is
 * killed, so it cannot re-register: reconciling its task gets no answer while the new leader waits
 * for it, TASK_UNREACHABLE once `--agent_reregister_timeout` has passed, and TASK_RUNNING when the
 * agent comes back. A framework whose scheduler never returns is removed once its failover timeout
 * (here: the re-register timeout, the floor) has passed; the other keeps its tasks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openZkRegistryStore, parseZkUrl, type RegistryStore } from '../../services/coordination/index.js';
import { systemClock } from '../../services/core/clock.js';
import { silentLogger } from '../../services/log/logger.js';
import { decodeMasterRegistry, type MasterRegistry } from '../../services/master/index.js';
import { Cluster, waitFor, type MesoProcess } from '../helpers/cluster.js';
import {
  HaMasters,
  masterState,
  nextUpdates,
  offersOfAgents,
  zkGroupUrl,
  type MasterState,
} from '../helpers/ha-cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';
import { startZooKeeper, zooKeeperSkipReason, type ZooKeeperServer } from '../helpers/zookeeper.js';

const DEADLINE_MS = 30_000;
const AGENT_FLAGS = { zk_session_timeout: '3secs', resources: 'cpus:1;mem:512;disk:512' };

describe('HA: recovery from the registry', { skip: zooKeeperSkipReason() }, () => {
  const cluster = new Cluster();
  let zk: ZooKeeperServer;
  let ha: HaMasters;
  let agents: MesoProcess[];
  let registryStore: RegistryStore<MasterRegistry> & AsyncDisposable;

  before(async () => {
    zk = await startZooKeeper();
    ha = new HaMasters(cluster, zkGroupUrl(zk.connectString), {
      zk_session_timeout: '3secs',
      allocation_interval: '200ms',
      agent_reregister_timeout: '8secs',
    });
    await ha.start(3);
    agents = [await cluster.startAgent(ha.zk, AGENT_FLAGS), await cluster.startAgent(ha.zk, AGENT_FLAGS)];
    registryStore = await openZkRegistryStore(
      { url: parseZkUrl(ha.zk), clock: systemClock, log: silentLogger },
      decodeMasterRegistry,
    );
  });
  after(async () => {
    await registryStore?.[Symbol.asyncDispose]();
    await cluster.stopAll();
    await zk?.destroy();
  });

  it('waits for known agents, then marks the missing one unreachable; drops frameworks that never return', async () => {
    const first = await ha.leader(DEADLINE_MS);
    const entry = ha.live.at(-1)!;
    await using survivor = new TestScheduler(entry.url, {
      name: 'survivor',
      failover_timeout: 3600,
      capabilities: [{ type: 'PARTITION_AWARE' }],
    });
    const survivorId = await survivor.subscribe();
    const offers = await offersOfAgents(survivor, agents.length, DEADLINE_MS);
    await survivor.client.launch(offers[0]!, [commandTask(offers[0]!, 'tA', 'sleep 600')]);
    await survivor.client.launch(offers[1]!, [commandTask(offers[1]!, 'tB', 'sleep 600')]);
    await nextUpdates(survivor, ['tA', 'tB'], 'TASK_RUNNING', DEADLINE_MS);
    const agentA = offers[0]!.agent_id;
    const agentB = offers[1]!.agent_id;
    const frozenAgent = await agentProcess(first, agentB.value);

    const quitter = new TestScheduler(entry.url, { name: 'quitter', failover_timeout: 1 });
    const quitterId = await quitter.subscribe();
    // Registry writes are batched in the background; this is what a successor will recover.
    const registry = await waitFor(
      async () => {
        const { value } = await registryStore.read();
        return value !== undefined && value.frameworks.some((f) => f.id === quitterId) && value;
      },
      DEADLINE_MS,
      'the quitter in the registry',
    );
    assert.deepEqual(registry.agents.map((a) => a.id).sort(), [agentA.value, agentB.value].sort());
    const agentUrls = new Set(agents.map((a) => a.url));
    assert.ok(registry.agents.every((a) => agentUrls.has(a.url) && a.unreachableTimeSec === undefined));
    assert.deepEqual(
      registry.frameworks.map((f) => [f.id, f.info.name, f.info.failover_timeout]).sort(),
      [
        [survivorId, 'survivor', 3600],
        [quitterId, 'quitter', 1],
      ].sort(),
    );

    process.kill(frozenAgent.pid, 'SIGSTOP');
    try {
      await ha.kill(first);
      await quitter[Symbol.asyncDispose](); // its scheduler never comes back
      const leader = await ha.leader(DEADLINE_MS, first);

      // Agent A re-registers; B is awaited, and the quitter is known but inactive.
      let state = await waitForState(
        leader,
        (s) => s.slaves.some((a) => a.id === agentA.value),
        'agent A back',
      );
      assert.deepEqual(
        state.recovered_slaves.map((a) => a.id),
        [agentB.value],
      );
      assert.equal(state.frameworks.find((f) => f.id === quitterId)?.recovered, true);

      // Reconciliation: tA is answered, tB (on the awaited agent) is not. The master answers the
      // tasks of one call in order, so tB's answer, were there one, would come before tA's.
      await waitFor(
        () =>
          survivor.client
            .reconcile([
              { task_id: { value: 'tB' }, agent_id: agentB },
              { task_id: { value: 'tA' }, agent_id: agentA },
            ])
            .then(() => true),
        DEADLINE_MS,
        'RECONCILE accepted by the new leader',
      );
      const answeredFrom = survivor.events.length;
      await survivor.nextUpdate('tA', 'TASK_RUNNING', DEADLINE_MS);
      const tbAnswers = survivor.events
        .slice(answeredFrom)
        .filter((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 'tB');
      assert.deepEqual(tbAnswers, [], 'no answer for a task on an agent not re-registered yet');

      // Past --agent_reregister_timeout: B is unreachable, the quitter removed.
      state = await waitForState(
        leader,
        (s) => s.unreachable_slaves === 1 && s.completed_frameworks.some((f) => f.id === quitterId),
        'agent B unreachable and the quitter removed',
      );
      assert.deepEqual(state.recovered_slaves, []);
      assert.ok(state.frameworks.some((f) => f.id === survivorId && f.active));
      await survivor.client.reconcile([{ task_id: { value: 'tB' }, agent_id: agentB }]);
      await survivor.nextUpdate('tB', 'TASK_UNREACHABLE', DEADLINE_MS);

      // B comes back with its task.
      process.kill(frozenAgent.pid, 'SIGCONT');
      await waitForState(
        leader,
        (s) => s.frameworks.find((f) => f.id === survivorId)?.tasks.some((t) => t.id === 'tB') === true,
        'tB re-added',
      );
      await survivor.client.reconcile();
      await survivor.nextUpdate('tB', 'TASK_RUNNING', DEADLINE_MS);
      const lost = survivor.events.filter(
        (e) => e.type === 'UPDATE' && e.update.status.state === 'TASK_LOST',
      );
      assert.deepEqual(lost, [], survivor.summary());
    } finally {
      process.kill(frozenAgent.pid, 'SIGCONT');
    }
  });

  /** The agent process whose agent id is `agentId`, found through the leader's `/master/state`. */
  async function agentProcess(leader: MesoProcess, agentId: string): Promise<MesoProcess> {
    const { slaves } = await masterState(leader);
    const port = slaves.find((a) => a.id === agentId)?.port;
    const agent = agents.find((a) => a.port === port);
    if (agent === undefined) throw new Error(`no agent process for ${agentId}`);
    return agent;
  }
});

async function waitForState(
  leader: MesoProcess,
  holds: (state: MasterState) => boolean,
  what: string,
): Promise<MasterState> {
  return waitFor(
    async () => {
      const state = await masterState(leader);
      return holds(state) && state;
    },
    DEADLINE_MS,
    what,
  );
}
