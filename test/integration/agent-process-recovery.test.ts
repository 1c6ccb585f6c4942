/**
 * An agent running process tasks SIGKILLed and restarted on the same work dir: process tasks
 * cannot be re-attached (only a parent sees a child's exit), so the restarted agent kills the
 * process groups its predecessor left running and reports the tasks failed. Nothing keeps running
 * unaccounted for, and the agent keeps its id.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentState, sandboxOf } from '../helpers/agent-tasks.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

/** True while `pid` is a live (non-zombie) process. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(.*\) [^Z]/.test(stat);
}

describe('agent restart with process tasks', () => {
  const cluster = new Cluster();
  let master: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
  });
  after(() => cluster.stopAll());

  it(
    'kills what the crashed agent left running and reports the task failed',
    { timeout: 60_000 },
    async () => {
      const agent = await cluster.startAgent(master.url, { containerizers: 'process' });
      const agentId = await waitFor(
        async () => (await agentState(agent.url)).id || undefined,
        10_000,
        'an agent id',
      );
      await using scheduler = new TestScheduler(master.url);
      await scheduler.subscribe();
      const offer = await waitFor(
        async () => (await scheduler.nextOffers()).find((o) => o.agent_id.value === agentId),
        10_000,
        "an offer of the agent's resources",
      );
      // The task and a child of its own, both in the task's process group.
      await scheduler.client.launch(offer, [
        commandTask(offer, 'stubborn', 'sleep 600 & echo $! > child.pid; exec sleep 600'),
      ]);
      await scheduler.sawUpdate('stubborn', 'TASK_RUNNING');
      const sandbox = await sandboxOf(agent.url, 'stubborn');
      const childPid = await waitFor(
        async () => Number(await readFile(join(sandbox, 'child.pid'), 'utf8').catch(() => '')) || undefined,
        10_000,
        'the child pid',
      );

      await agent.kill('SIGKILL');
      assert.ok(await alive(childPid), 'a crash leaves the task running');
      const restarted = await cluster.restart(agent);

      const failed = await scheduler.sawUpdate('stubborn', 'TASK_FAILED', 20_000);
      assert.match(failed.message ?? '', /its processes were killed/);
      await waitFor(async () => !(await alive(childPid)), 10_000, 'the left-over processes gone');
      assert.equal((await agentState(restarted.url)).id, agentId, 're-registered under the same id');
    },
  );
});
