/**
 * DEACTIVATE_AGENT, REACTIVATE_AGENT and DRAIN_AGENT against a real master, two agents (process
 * containerizer) and a scheduler: a deactivated agent is offered nothing while the other one is,
 * and its task keeps running; reactivated, it is offered again; drained, its task is killed within
 * `max_grace_period` (not the task's own, much longer, grace period), and `/master/state`,
 * `GET_AGENTS` and `/metrics` follow it from DRAINING to DRAINED. Bad calls are answered 4xx.
 * With ZooKeeper, a deactivated and a drained agent stay so on the leader elected after a crash.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OperatorClient, type Json } from '../../services/cli/operator-client.js';
import type { Offer } from '../../services/core/v1/cluster.js';
import type { SchedulerEvent } from '../../services/core/v1/scheduler.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { offersOfAgents, runMeso, useHaCluster, QUICK_FAILOVER_MASTER_FLAGS } from '../helpers/ha-cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';
import { zooKeeperSkipReason } from '../helpers/zookeeper.js';

/** The parts of `/master/state` read here. */
interface AgentState {
  readonly id: string;
  readonly active: boolean;
  readonly deactivated: boolean;
  readonly drain_info?: { readonly state: string; readonly config: Json };
  readonly estimated_drain_start_time_seconds?: number;
}

/** Long enough for several allocation cycles (100 ms each) to have offered everything they could. */
const OBSERVE_MS = 1500;
/** A ZooKeeper session timeout (3 s) plus room for a loaded test machine. */
const FAILOVER_DEADLINE_MS = 20_000;
const AGENT_FLAGS = { zk_session_timeout: '3secs', resources: 'cpus:1;mem:512;disk:512' };

async function post(url: string, body: unknown) {
  const response = await fetch(`${url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** `DEACTIVATE_AGENT {deactivate_agent: {agent_id, ...fields}}` and its siblings. */
const agentCall = (master: MesoProcess, type: string, agentId: string, fields: Json = {}) =>
  post(master.url, { type, [type.toLowerCase()]: { agent_id: { value: agentId }, ...fields } });

describe('operator API: agent deactivation and draining', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let scheduler: TestScheduler;
  let client: OperatorClient;
  let agentA: string;
  let agentB: string;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url);
    await cluster.startAgent(master.url);
    client = new OperatorClient(master.url);
    scheduler = new TestScheduler(master.url, { name: 'drain-test' });
    await scheduler.subscribe();
    const [onA, onB] = await offersOfAgents(scheduler, 2, 15_000);
    agentA = onA!.agent_id.value;
    agentB = onB!.agent_id.value;
    // The task ignores SIGTERM, so only the SIGKILL at the end of its grace period stops it; its
    // own grace period (10 minutes) is far longer than the drain's cap below.
    await scheduler.client.launch(
      onA!,
      [
        {
          ...commandTask(onA!, 'long', "trap '' TERM; sleep 600"),
          kill_policy: { grace_period: { nanoseconds: 600e9 } },
        },
      ],
      { refuse_seconds: 0 },
    );
    await scheduler.client.decline([onB!.id], { refuse_seconds: 0 });
    await scheduler.sawUpdate('long', 'TASK_RUNNING');
  });
  after(async () => {
    await scheduler[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('offers nothing of a deactivated agent, keeps its task running, and offers it again once reactivated', async () => {
    assert.deepEqual(await agentCall(master, 'DEACTIVATE_AGENT', agentA), { status: 200, text: '' });
    const deactivated = await agentState(master, agentA);
    assert.equal(deactivated.deactivated, true);
    assert.equal(deactivated.active, false);
    assert.equal(deactivated.drain_info, undefined);
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as Json;
    assert.equal(state['deactivated_slaves'], 1);
    assert.equal(state['activated_slaves'], 1);

    const offered = await offeredAgents(scheduler, OBSERVE_MS);
    assert.ok(offered.has(agentB), 'the other agent is still offered');
    assert.ok(!offered.has(agentA), `no offer of the deactivated agent; offers: ${[...offered].join(', ')}`);
    const agents = (await client.call('GET_AGENTS'))['agents'] as Json[];
    const v1A = agents.find((a) => ((a['agent_info'] as Json)['id'] as Json)['value'] === agentA);
    assert.equal(v1A?.['deactivated'], true);
    assert.equal(v1A?.['active'], false);
    assert.deepEqual(
      scheduler.updatesOf('long').map((s) => s.state),
      ['TASK_STARTING', 'TASK_RUNNING'],
      'the task keeps running',
    );

    assert.equal((await agentCall(master, 'REACTIVATE_AGENT', agentA)).status, 200);
    assert.equal((await agentState(master, agentA)).active, true);
    await waitFor(
      async () => (await offeredAgents(scheduler, 300)).has(agentA),
      10_000,
      'an offer of the reactivated agent',
    );
  });

  it('drains: kills the task within max_grace_period, DRAINING then DRAINED, in /master/state, GET_AGENTS and /metrics', async () => {
    const started = Date.now();
    const drained = await agentCall(master, 'DRAIN_AGENT', agentA, {
      max_grace_period: { nanoseconds: 2e9 },
    });
    assert.deepEqual(drained, { status: 200, text: '' });
    const draining = await agentState(master, agentA);
    assert.equal(draining.deactivated, true);
    assert.deepEqual(draining.drain_info, {
      state: 'DRAINING',
      config: { max_grace_period: { nanoseconds: 2e9 }, mark_gone: false },
    });
    assert.ok((draining.estimated_drain_start_time_seconds ?? 0) >= started / 1000 - 1);
    assert.match(await metricsText(master), /meso_master_agents\{state="draining"\} 1/);
    const refused = await agentCall(master, 'REACTIVATE_AGENT', agentA);
    assert.equal(refused.status, 409);
    assert.match(refused.text, /DRAINING/);

    await scheduler.sawUpdate('long', 'TASK_KILLED', 20_000);
    assert.ok(
      Date.now() - started < 20_000,
      'killed after the capped grace period, not the task’s 10 minutes',
    );
    await waitFor(
      async () => (await agentState(master, agentA)).drain_info?.state === 'DRAINED',
      10_000,
      'the agent to be DRAINED',
    );
    const agents = (await client.call('GET_AGENTS'))['agents'] as Json[];
    const v1A = agents.find((a) => ((a['agent_info'] as Json)['id'] as Json)['value'] === agentA);
    assert.equal(v1A?.['deactivated'], true);
    assert.deepEqual(v1A?.['drain_info'], {
      state: 'DRAINED',
      config: { max_grace_period: { nanoseconds: 2e9 }, mark_gone: false },
    });
    assert.equal(typeof (v1A?.['estimated_drain_start_time'] as Json)['nanoseconds'], 'number');
    const metrics = await metricsText(master);
    assert.match(metrics, /meso_master_agents\{state="drained"\} 1/);
    assert.match(metrics, /meso_master_agents\{state="draining"\} 0/);
    assert.match(metrics, /meso_master_agents\{state="active"\} 1/);
    const snapshot = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Record<string, number>;
    assert.equal(snapshot['master/slaves_active'], 1);
    assert.equal(snapshot['master/slaves_connected'], 2);

    const offered = await offeredAgents(scheduler, OBSERVE_MS);
    assert.ok(!offered.has(agentA), 'a drained agent is offered nothing');
    assert.equal((await agentCall(master, 'REACTIVATE_AGENT', agentA)).status, 200);
    const reactivated = await agentState(master, agentA);
    assert.equal(reactivated.drain_info, undefined);
    assert.equal(reactivated.deactivated, false);
  });

  it('answers unknown agents with 404 and malformed or unsupported calls with 400 naming the field', async () => {
    for (const type of ['DRAIN_AGENT', 'DEACTIVATE_AGENT', 'REACTIVATE_AGENT']) {
      const unknown = await agentCall(master, type, 'no-such-agent');
      assert.equal(unknown.status, 404, `${type}: ${unknown.text}`);
      assert.match(unknown.text, /no-such-agent/);
    }
    const noAgentId = await post(master.url, { type: 'DRAIN_AGENT', drain_agent: {} });
    assert.equal(noAgentId.status, 400);
    assert.match(noAgentId.text, /drain_agent\.agent_id/);
    const badGrace = await agentCall(master, 'DRAIN_AGENT', agentB, {
      max_grace_period: { nanoseconds: 'soon' },
    });
    assert.equal(badGrace.status, 400);
    assert.match(badGrace.text, /drain_agent\.max_grace_period\.nanoseconds/);
    const noBody = await post(master.url, { type: 'DEACTIVATE_AGENT' });
    assert.equal(noBody.status, 400);
    assert.match(noBody.text, /deactivate_agent/);
    const markGone = await agentCall(master, 'DRAIN_AGENT', agentB, { mark_gone: true });
    assert.equal(markGone.status, 400);
    assert.match(markGone.text, /mark_gone.*not supported by meso/);
    const notDeactivated = await agentCall(master, 'REACTIVATE_AGENT', agentB);
    assert.equal(notDeactivated.status, 409);
    assert.equal((await agentState(master, agentB)).deactivated, false, 'refused calls changed nothing');
  });

  it('deactivates and reactivates through the `meso` CLI, with exit codes for scripts', async () => {
    const meso = (...args: string[]) => runMeso([...args, '--master', master.url], 20_000);
    assert.deepEqual(await meso('deactivate', agentB), { code: 0, output: `${agentB} DEACTIVATED\n` });
    assert.equal((await agentState(master, agentB)).deactivated, true);
    const listed = await meso('agents');
    assert.match(listed.output, new RegExp(`^${agentB}\\s+\\S+\\s+deactivated\\s`, 'm'), listed.output);
    assert.deepEqual(await meso('reactivate', agentB), { code: 0, output: `${agentB} ACTIVE\n` });
    const unknown = await meso('drain', 'no-such-agent', '--max_grace_period', '5secs');
    assert.equal(unknown.code, 3, unknown.output);
    assert.match(unknown.output, /no-such-agent/);
    const badDuration = await meso('drain', agentB, '--max_grace_period', 'soon');
    assert.equal(badDuration.code, 2, badDuration.output);
    assert.match(badDuration.output, /--max_grace_period/);
  });
});

describe(
  'HA: deactivated and draining agents survive a master failover',
  { skip: zooKeeperSkipReason() },
  () => {
    const setup = useHaCluster({
      masters: 2,
      masterFlags: QUICK_FAILOVER_MASTER_FLAGS,
      agents: [AGENT_FLAGS, AGENT_FLAGS, AGENT_FLAGS],
    });

    it('keeps an agent deactivated and another drained on the new leader, which offers neither', async () => {
      const leader = await setup.ha.leader(FAILOVER_DEADLINE_MS);
      // The scheduler enters through the standby, which redirects it now and leads after the failover.
      const entry = setup.ha.standby(leader);
      await using scheduler = new TestScheduler(entry.url, { name: 'ha-drain', failover_timeout: 3600 });
      await scheduler.subscribe();
      const [idle, drained, open] = (await offersOfAgents(scheduler, 3, FAILOVER_DEADLINE_MS)).map(
        (o) => o.agent_id.value,
      ) as [string, string, string];
      for (const answer of [
        await agentCall(leader, 'DEACTIVATE_AGENT', idle),
        await agentCall(leader, 'DRAIN_AGENT', drained, { max_grace_period: { nanoseconds: 1e9 } }),
      ])
        assert.equal(answer.status, 200, answer.text);
      // Nothing runs on it: the drain is over at once.
      await waitFor(
        async () => (await agentState(leader, drained)).drain_info?.state === 'DRAINED',
        10_000,
        'the agent to be DRAINED on the first leader',
      );

      await setup.ha.kill(leader);
      const next = await setup.ha.leader(FAILOVER_DEADLINE_MS, leader);
      assert.equal(next, entry);
      const [idleNow, drainedNow, openNow] = await waitFor(
        () =>
          Promise.all([idle, drained, open].map((id) => agentState(next, id))) as Promise<
            [AgentState, AgentState, AgentState]
          >,
        FAILOVER_DEADLINE_MS,
        'every agent re-registered with the new leader',
      );
      assert.deepEqual([idleNow.deactivated, idleNow.active, idleNow.drain_info], [true, false, undefined]);
      assert.equal(drainedNow.deactivated, true);
      assert.deepEqual(drainedNow.drain_info, {
        state: 'DRAINED',
        config: { max_grace_period: { nanoseconds: 1e9 }, mark_gone: false },
      });
      assert.deepEqual([openNow.deactivated, openNow.active], [false, true]);

      await scheduler.next(
        (e) => e.type === 'SUBSCRIBED',
        're-subscription to the new leader',
        FAILOVER_DEADLINE_MS,
      );
      const offered = await offeredAgents(scheduler, 2 * OBSERVE_MS);
      assert.deepEqual([...offered], [open], 'the new leader offers only the agent left active');

      const reactivated = await agentCall(next, 'REACTIVATE_AGENT', idle);
      assert.equal(reactivated.status, 200, reactivated.text);
      await waitFor(
        async () => (await offeredAgents(scheduler, 300)).has(idle),
        10_000,
        'an offer of the reactivated agent from the new leader',
      );
    });
  },
);

/** An agent as `/master/state` of `master` shows it. */
async function agentState(master: MesoProcess, id: string): Promise<AgentState> {
  const state = (await (await fetch(`${master.url}/master/state`)).json()) as { slaves: AgentState[] };
  const agent = state.slaves.find((s) => s.id === id);
  if (agent === undefined) throw new Error(`agent ${id} is not in /master/state of ${master.url}`);
  return agent;
}

async function metricsText(master: MesoProcess): Promise<string> {
  return (await fetch(`${master.url}/metrics`)).text();
}

/**
 * Declines, without a filter, every offer still outstanding and every offer arriving for `ms`,
 * so each allocation cycle offers again whatever may be offered; returns the agents offered
 * in that time.
 */
async function offeredAgents(scheduler: TestScheduler, ms: number): Promise<Set<string>> {
  const offersIn = (events: readonly SchedulerEvent[]): Offer[] =>
    events.flatMap((e) => (e.type === 'OFFERS' ? e.offers.offers : []));
  // Declining an offer that was accepted, declined or rescinded already is ignored by the master.
  const outstanding = offersIn(scheduler.events);
  if (outstanding.length > 0)
    await scheduler.client.decline(
      outstanding.map((o) => o.id),
      { refuse_seconds: 0 },
    );
  const seen = new Set<string>();
  let index = scheduler.events.length;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fresh = scheduler.events.slice(index);
    index += fresh.length;
    const offers = offersIn(fresh);
    for (const offer of offers) seen.add(offer.agent_id.value);
    if (offers.length > 0)
      await scheduler.client.decline(
        offers.map((o) => o.id),
        { refuse_seconds: 0 },
      );
  }
  return seen;
}
