/**
 * COMMAND health checks of docker tasks end to end: a real master and agent
 * (`--containerizers=docker`) as processes, a framework launching tasks in `meso/busybox` whose
 * checks the agent runs with `docker exec` inside their containers against a real engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentState, agentTask } from '../helpers/agent-tasks.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { cleanUp, dockerSkipReason } from '../helpers/docker.js';
import { TestScheduler } from '../helpers/scheduler.js';
import type { AgentId } from '../../services/core/ids.js';
import type { TaskStatus } from '../../services/core/v1/tasks.js';

const skip = await dockerSkipReason();
const LIMIT = { timeout: 60_000 };

describe('health checks of docker tasks through a master and an agent', { skip }, () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let agent: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url, { containerizers: 'docker', docker_stop_timeout: '1secs' });
  });
  after(async () => {
    const { id } = await agentState(agent.url);
    await cluster.stopAll();
    await cleanUp(id as AgentId);
  });

  /** The first update of `taskId` with a health verdict of `healthy`. */
  const verdict = (scheduler: TestScheduler, taskId: string, healthy: boolean): Promise<TaskStatus> =>
    waitFor(
      () => scheduler.updatesOf(taskId).find((s) => s.healthy === healthy),
      20_000,
      `a healthy=${healthy} update of ${taskId} (events so far: ${scheduler.summary()})`,
    );

  it(
    'reports a passing check run inside the container, and kills a task failing its checks',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url);
      await scheduler.subscribe();
      const [offer] = await scheduler.nextOffers();
      assert.ok(offer !== undefined);
      const fast = { delay_seconds: 0, interval_seconds: 1, timeout_seconds: 5 };
      await scheduler.client.launch(offer, [
        {
          ...agentTask(offer, 'a', 'touch /tmp/ok; sleep 120'),
          // /tmp/ok exists only inside the task's container, and the check sees the task's environment.
          health_check: {
            type: 'COMMAND',
            command: { value: 'test -f /tmp/ok && test "$MESOS_TASK_ID" = a' },
            ...fast,
            grace_period_seconds: 30,
          },
        },
        {
          ...agentTask(offer, 'b', 'sleep 120'),
          health_check: {
            type: 'COMMAND',
            command: { value: 'false' },
            ...fast,
            grace_period_seconds: 0,
            consecutive_failures: 2,
          },
        },
      ]);

      const healthy = await verdict(scheduler, 'a', true);
      assert.equal(healthy.state, 'TASK_RUNNING');
      assert.equal(healthy.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
      assert.equal(healthy.source, 'SOURCE_EXECUTOR');

      const unhealthy = await verdict(scheduler, 'b', false);
      assert.equal(unhealthy.state, 'TASK_RUNNING');
      assert.equal(unhealthy.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
      assert.match(unhealthy.message ?? '', /health check failed: command exited with code 1/);
      const killed = await scheduler.sawUpdate('b', 'TASK_KILLED', 20_000);
      assert.equal(killed.healthy, false);
      assert.match(
        killed.message ?? '',
        /^task failed 2 consecutive health checks: command exited with code 1$/,
      );
      assert.deepEqual(
        scheduler.updatesOf('b').map((s) => `${s.state}:${s.healthy ?? '-'}`),
        ['TASK_STARTING:-', 'TASK_RUNNING:-', 'TASK_RUNNING:false', 'TASK_KILLED:false'],
      );

      // The passing task is left running and is not reported again while it stays healthy.
      assert.equal(scheduler.updatesOf('a').at(-1)?.state, 'TASK_RUNNING');
      assert.equal(scheduler.updatesOf('a').filter((s) => s.healthy !== undefined).length, 1);
      await scheduler.client.kill({ value: 'a' });
      const killedA = await scheduler.sawUpdate('a', 'TASK_KILLED');
      assert.equal(killedA.healthy, undefined);
    },
  );
});
