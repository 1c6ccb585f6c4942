/**
 * An agent process SIGKILLed and restarted on the same work dir, with docker tasks running: it
 * adopts the containers that kept running, reports the one that exited meanwhile with its exit
 * code, destroys an orphan, re-registers under the same id, and resends updates a framework had
 * not acknowledged; the framework sees no TASK_LOST. A corrupt checkpoint makes it start over as
 * a new agent, destroying the old containers, instead of crashing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { AgentId } from '../../services/core/ids.js';
import type { Offer } from '../../services/core/v1/cluster.js';
import {
  agentState,
  agentTask,
  containersLabelled,
  readAgentFile,
  sandboxOf,
} from '../helpers/agent-tasks.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { BUSYBOX, cleanUp, dockerSkipReason } from '../helpers/docker.js';
import { TestScheduler } from '../helpers/scheduler.js';

const run = promisify(execFile);
const skip = await dockerSkipReason();
const LIMIT = { timeout: 90_000 };
const LOST_STATES = new Set(['TASK_LOST', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_DROPPED']);

describe('agent restart with docker tasks', { skip }, () => {
  const cluster = new Cluster();
  const agentIds = new Set<AgentId>();
  let master: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
  });
  after(async () => {
    await cluster.stopAll();
    for (const id of agentIds) await cleanUp(id);
  });

  const dockerAgent = async (): Promise<{ agent: MesoProcess; agentId: AgentId }> => {
    const agent = await cluster.startAgent(master.url, { containerizers: 'docker' });
    const agentId = await waitFor(
      async () => {
        const { id } = await agentState(agent.url);
        return id !== '' && id;
      },
      10_000,
      'an agent id',
    );
    agentIds.add(agentId as AgentId);
    return { agent, agentId: agentId as AgentId };
  };
  /** The first offer of `agentId`'s resources (an agent of an earlier test may still offer some). */
  const offerOf = async (scheduler: TestScheduler, agentId: AgentId): Promise<Offer> => {
    for (;;) {
      const offer = (await scheduler.nextOffers()).find((o) => o.agent_id.value === agentId);
      if (offer !== undefined) return offer;
    }
  };

  it(
    'adopts running containers after SIGKILL, reports exits, destroys orphans, keeps its id',
    LIMIT,
    async () => {
      const { agent, agentId } = await dockerAgent();
      await using scheduler = new TestScheduler(master.url);
      await using lazy = new TestScheduler(master.url, { name: 'lazy' }, { autoAcknowledge: false });
      await scheduler.subscribe();
      const offer = await offerOf(scheduler, agentId);
      await scheduler.client.launch(offer, [
        agentTask(offer, 'survivor', 'echo before; sleep 6; echo after'),
        agentTask(offer, 'exits-while-down', 'sleep 2; exit 7'),
      ]);
      await scheduler.sawUpdate('survivor', 'TASK_RUNNING');
      await scheduler.sawUpdate('exits-while-down', 'TASK_RUNNING');
      await lazy.subscribe();
      const lazyOffer = await offerOf(lazy, agentId);
      await lazy.client.launch(lazyOffer, [agentTask(lazyOffer, 'unacked', 'sleep 30')]);
      const starting = await lazy.nextUpdate('unacked', 'TASK_STARTING');
      // An orphan: labelled as this agent's, but no task of its checkpoint knows it.
      const orphan = ['meso.test', `orphan-of-${agentId}`] as const;
      await run('docker', [
        'run',
        '-d',
        '--label',
        `meso.agent_id=${agentId}`,
        '--label',
        orphan.join('='),
        BUSYBOX,
        'sleep',
        '60',
      ]);

      await agent.kill('SIGKILL');
      await sleep(3_000); // `exits-while-down` ends while no agent watches
      const lazySeen = lazy.events.length;
      const restarted = await cluster.restart(agent);

      const failed = await scheduler.sawUpdate('exits-while-down', 'TASK_FAILED');
      assert.match(failed.message ?? '', /exited with code 7/);
      await scheduler.sawUpdate('survivor', 'TASK_FINISHED', 20_000);
      const survivorStates = scheduler.updatesOf('survivor').map((s) => s.state);
      assert.deepEqual(
        survivorStates.filter((s, i) => s !== survivorStates[i - 1]),
        ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'],
      );
      assert.equal((await agentState(restarted.url)).id, agentId, 're-registered under the same id');
      const stdout = `${await sandboxOf(restarted.url, 'survivor')}/stdout`;
      assert.equal(await readAgentFile(restarted.url, stdout), 'before\nafter\n');

      // The unacknowledged update came back from the checkpoint, then the queue moves on.
      const resent = await lazy.next(
        (e) =>
          e.type === 'UPDATE' && e.update.status.uuid === starting.uuid && lazy.events.indexOf(e) >= lazySeen,
        'the unacknowledged TASK_STARTING, resent by the restarted agent',
      );
      assert.equal(resent.type, 'UPDATE');
      await lazy.client.acknowledge(starting);
      await lazy.nextUpdate('unacked', 'TASK_RUNNING');

      assert.deepEqual(await containersLabelled(...orphan), [], 'the orphan was destroyed');
      const masterState = (await (await fetch(`${master.url}/master/state`)).json()) as {
        slaves: { id: string }[];
      };
      assert.deepEqual(
        masterState.slaves.map((s) => s.id),
        [agentId],
      );
      const lost = [...scheduler.events, ...lazy.events].filter(
        (e) => e.type === 'UPDATE' && LOST_STATES.has(e.update.status.state),
      );
      assert.deepEqual(lost, [], 'no task was reported lost');
    },
  );

  it(
    'on a clean stop kills process tasks (TASK_KILLED) and leaves docker tasks to the next agent',
    LIMIT,
    async () => {
      const agent = await cluster.startAgent(master.url, { containerizers: 'docker,process' });
      const agentId = await waitFor(async () => (await agentState(agent.url)).id || undefined, 10_000, 'id');
      agentIds.add(agentId as AgentId);
      await using scheduler = new TestScheduler(master.url);
      await scheduler.subscribe();
      const offer = await offerOf(scheduler, agentId as AgentId);
      await scheduler.client.launch(offer, [
        agentTask(offer, 'as-process', 'sleep 60', { container: null }),
        agentTask(offer, 'in-docker', 'sleep 4; echo done'),
      ]);
      await scheduler.sawUpdate('as-process', 'TASK_RUNNING');
      await scheduler.sawUpdate('in-docker', 'TASK_RUNNING');

      await agent.stop(); // SIGTERM
      const killed = await scheduler.sawUpdate('as-process', 'TASK_KILLED');
      assert.equal(killed.source, 'SOURCE_EXECUTOR');
      assert.equal((await containersLabelled('meso.task_id', 'in-docker')).length, 1, 'left running');

      const restarted = await cluster.restart(agent);
      await scheduler.sawUpdate('in-docker', 'TASK_FINISHED', 20_000);
      assert.equal(
        await readAgentFile(restarted.url, `${await sandboxOf(restarted.url, 'in-docker')}/stdout`),
        'done\n',
      );
    },
  );

  it('starts over as a new agent on a corrupt checkpoint, destroying the old containers', LIMIT, async () => {
    const { agent, agentId } = await dockerAgent();
    await using scheduler = new TestScheduler(master.url);
    const frameworkId = await scheduler.subscribe();
    const offer = await offerOf(scheduler, agentId);
    await scheduler.client.launch(offer, [agentTask(offer, 'doomed', 'sleep 60')]);
    await scheduler.sawUpdate('doomed', 'TASK_RUNNING');
    assert.equal((await containersLabelled('meso.task_id', 'doomed')).length, 1);

    await agent.kill('SIGKILL');
    const workDir = String(agent.started?.flags.work_dir);
    const taskInfo = join(
      workDir,
      'meta/slaves',
      agentId,
      'frameworks',
      frameworkId,
      'executors/doomed/tasks/doomed/task.info',
    );
    const { size } = await stat(taskInfo);
    await truncate(taskInfo, Math.floor(size / 2));
    const restarted = await cluster.restart(agent);

    const newId = await waitFor(
      async () => {
        const { id } = await agentState(restarted.url);
        return id !== '' && id !== agentId && id;
      },
      15_000,
      'the agent to register under a new id',
    );
    agentIds.add(newId as AgentId);
    assert.deepEqual(await containersLabelled('meso.task_id', 'doomed'), []);
    const log = await readFile(restarted.logFile, 'utf8');
    assert.match(log, /agent checkpoint is corrupt/);
    assert.ok(log.includes(taskInfo), 'the log names the corrupt file');
    assert.ok(restarted.running);
  });
});
