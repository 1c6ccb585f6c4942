/**
 * Docker tasks end to end: a real master and agent (`--containerizers=docker,process`) as
 * processes, a framework launching tasks in `meso/busybox` against a real engine. Exit codes,
 * output through the agent's `/files/read`, limits seen by `docker inspect` and inside the
 * container, `/monitor/statistics`, OOM, kill grace periods, published ports, and image failures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  agentState,
  agentTask,
  containersLabelled,
  readAgentFile,
  sandboxOf,
} from '../helpers/agent-tasks.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import {
  BUSYBOX,
  cleanUp,
  cliInspect,
  dockerSkipReason,
  freePort,
  PRINT_CGROUP_LIMITS,
} from '../helpers/docker.js';
import { TestScheduler } from '../helpers/scheduler.js';
import type { AgentId } from '../../services/core/ids.js';
import type { Offer } from '../../services/core/v1/cluster.js';

const skip = await dockerSkipReason();
const LIMIT = { timeout: 60_000 };
const MIB = 1024 * 1024;

describe('docker tasks through a master and an agent', { skip }, () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let agent: MesoProcess;
  let hostPort: number;

  before(async () => {
    hostPort = await freePort();
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url, {
      containerizers: 'docker,process',
      docker_default_image: BUSYBOX,
      docker_stop_timeout: '1secs',
      resources: `cpus:4;mem:2048;disk:1024;ports:[${hostPort}-${hostPort}]`,
    });
  });
  after(async () => {
    const { id } = await agentState(agent.url);
    await cluster.stopAll();
    // Docker tasks outlive a stopped agent by design: remove them here.
    await cleanUp(id as AgentId);
  });

  /** Subscribes `scheduler` and answers its first offer. */
  const firstOffer = async (scheduler: TestScheduler): Promise<Offer> => {
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    assert.ok(offer !== undefined);
    return offer;
  };

  it('runs tasks in an image to their exit codes; /files/read returns their output', LIMIT, async () => {
    await using scheduler = new TestScheduler(master.url);
    const offer = await firstOffer(scheduler);
    await scheduler.client.launch(offer, [
      agentTask(offer, 'ok', 'echo "hello from $MESOS_TASK_ID"'),
      agentTask(offer, 'bad', 'echo failing >&2; exit 3'),
    ]);
    await scheduler.sawUpdate('ok', 'TASK_FINISHED');
    const failed = await scheduler.sawUpdate('bad', 'TASK_FAILED');
    assert.match(failed.message ?? '', /exited with code 3/);
    assert.equal(failed.reason, undefined);
    const states = scheduler.updatesOf('ok').map((s) => s.state);
    assert.deepEqual(states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    assert.equal(
      await readAgentFile(agent.url, `${await sandboxOf(agent.url, 'ok')}/stdout`),
      'hello from ok\n',
    );
    assert.equal(await readAgentFile(agent.url, `${await sandboxOf(agent.url, 'bad')}/stderr`), 'failing\n');
  });

  it('runs a plain command in the default image when docker comes first', LIMIT, async () => {
    await using scheduler = new TestScheduler(master.url);
    const offer = await firstOffer(scheduler);
    await scheduler.client.launch(offer, [
      agentTask(offer, 'plain', 'test -e /linuxrc && echo in-image', { container: null }),
    ]);
    await scheduler.sawUpdate('plain', 'TASK_FINISHED');
    assert.equal(
      await readAgentFile(agent.url, `${await sandboxOf(agent.url, 'plain')}/stdout`),
      'in-image\n',
    );
  });

  it(
    'limits cpu and memory from the task resources, seen by docker inspect, the cgroup and /monitor/statistics',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url);
      const offer = await firstOffer(scheduler);
      await scheduler.client.launch(offer, [
        agentTask(offer, 'limits', `${PRINT_CGROUP_LIMITS}\nsleep 30`, { resources: 'cpus:0.5;mem:64' }),
      ]);
      await scheduler.sawUpdate('limits', 'TASK_RUNNING');
      const [dockerId] = await containersLabelled('meso.task_id', 'limits');
      assert.ok(dockerId !== undefined, 'the task runs in a labelled container');
      const { HostConfig } = await cliInspect(dockerId);
      assert.equal(HostConfig['CpuQuota'], 50_000);
      assert.equal(HostConfig['CpuPeriod'], 100_000);
      assert.equal(HostConfig['Memory'], 64 * MIB);
      assert.equal(HostConfig['MemorySwap'], 64 * MIB);
      const stdout = `${await sandboxOf(agent.url, 'limits')}/stdout`;
      const inside = await waitFor(
        async () => {
          const text = await readAgentFile(agent.url, stdout);
          return text.includes('mem ') && text;
        },
        10_000,
        'the cgroup limits in stdout',
      );
      assert.match(inside, /^cpu 50000$/m);
      assert.match(inside, new RegExp(`^mem ${64 * MIB}$`, 'm'));

      const statistics = (await (await fetch(`${agent.url}/monitor/statistics`)).json()) as {
        executor_id: string;
        statistics: { cpus_limit: number; mem_limit_bytes: number; mem_rss_bytes: number };
      }[];
      const entry = statistics.find((s) => s.executor_id === 'limits');
      assert.equal(entry?.statistics.cpus_limit, 0.5);
      assert.equal(entry?.statistics.mem_limit_bytes, 64 * MIB);
      assert.ok((entry?.statistics.mem_rss_bytes ?? 0) > 0);
      await scheduler.client.kill({ value: 'limits' });
      await scheduler.sawUpdate('limits', 'TASK_KILLED');
    },
  );

  it(
    'reports a task killed for exceeding its memory with REASON_CONTAINER_LIMITATION_MEMORY',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url);
      const offer = await firstOffer(scheduler);
      const hog = 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived';
      await scheduler.client.launch(offer, [agentTask(offer, 'hog', hog, { resources: 'cpus:0.5;mem:32' })]);
      const failed = await scheduler.sawUpdate('hog', 'TASK_FAILED');
      assert.equal(failed.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
      assert.match(failed.message ?? '', /memory limit/);
    },
  );

  it(
    'kills with SIGTERM first, TASK_KILLING to capable frameworks, SIGKILL after the grace',
    LIMIT,
    async () => {
      await using scheduler = new TestScheduler(master.url, {
        capabilities: [{ type: 'TASK_KILLING_STATE' }],
      });
      const offer = await firstOffer(scheduler);
      const loop = 'echo ready; while true; do sleep 0.1; done';
      await scheduler.client.launch(offer, [
        agentTask(offer, 'polite', `trap 'echo got-term; exit 0' TERM; ${loop}`, { killGraceSeconds: 5 }),
        // No kill policy: the agent's --docker_stop_timeout (1 s here) applies.
        agentTask(offer, 'stubborn', `trap '' TERM; ${loop}`),
      ]);
      for (const id of ['polite', 'stubborn']) {
        await scheduler.sawUpdate(id, 'TASK_RUNNING');
        const stdout = `${await sandboxOf(agent.url, id)}/stdout`;
        await waitFor(
          async () => (await readAgentFile(agent.url, stdout)).includes('ready'),
          10_000,
          `${id} ready`,
        );
      }
      const politeMs = Date.now();
      await scheduler.client.kill({ value: 'polite' });
      await scheduler.sawUpdate('polite', 'TASK_KILLING');
      await scheduler.sawUpdate('polite', 'TASK_KILLED');
      assert.ok(Date.now() - politeMs < 4_000, 'the trap ended it well before its 5 s grace');
      const output = await readAgentFile(agent.url, `${await sandboxOf(agent.url, 'polite')}/stdout`);
      assert.match(output, /got-term/);

      const stubbornMs = Date.now();
      await scheduler.client.kill({ value: 'stubborn' });
      const killed = await scheduler.sawUpdate('stubborn', 'TASK_KILLED');
      assert.ok(Date.now() - stubbornMs >= 1_000, 'SIGKILL only after the 1 s default grace');
      assert.match(killed.message ?? '', /1000 ms grace period.*SIGKILL/);
    },
  );

  it('publishes a port mapping from the offered ports range on the host', LIMIT, async () => {
    await using scheduler = new TestScheduler(master.url);
    const offer = await firstOffer(scheduler);
    const httpd =
      'mkdir -p /www && echo hello-from-a-task > /www/index.html && exec httpd -f -p 8080 -h /www';
    await scheduler.client.launch(offer, [
      agentTask(offer, 'web', httpd, {
        ports: [hostPort],
        container: {
          type: 'DOCKER',
          docker: {
            image: BUSYBOX,
            network: 'BRIDGE',
            port_mappings: [{ host_port: hostPort, container_port: 8080 }],
          },
        },
      }),
    ]);
    await scheduler.sawUpdate('web', 'TASK_RUNNING');
    const body = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) });
        return response.ok && response.text();
      },
      10_000,
      'the task answering on its host port',
    );
    assert.equal(body, 'hello-from-a-task\n');
    await scheduler.client.kill({ value: 'web' });
    await scheduler.sawUpdate('web', 'TASK_KILLED');
  });

  for (const [what, image, reason, pulls] of [
    ['a missing image', 'meso/does-not-exist:1', /pull image meso\/does-not-exist:1: .+/, true],
    ['a bad image name', 'Bad Name!!', /invalid reference format/, false],
  ] as const) {
    it(
      `fails a task with ${what} with REASON_CONTAINER_LAUNCH_FAILED and the engine's reason`,
      LIMIT,
      async () => {
        await using scheduler = new TestScheduler(master.url);
        const offer = await firstOffer(scheduler);
        const container = { type: 'DOCKER' as const, docker: { image } };
        await scheduler.client.launch(offer, [agentTask(offer, 'no-image', 'true', { container })]);
        const failed = await scheduler.sawUpdate('no-image', 'TASK_FAILED');
        assert.equal(failed.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
        assert.match(failed.message ?? '', reason);
        const messages = scheduler.updatesOf('no-image').map((s) => `${s.state}: ${s.message ?? ''}`);
        assert.equal(messages.includes(`TASK_STARTING: Pulling image ${image}`), pulls, messages.join('; '));
      },
    );
  }
});
