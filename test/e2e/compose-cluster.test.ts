/**
 * The full cluster of compose/docker-compose.yml on the real engine, brought up and removed the
 * way users do it (`scripts/up.sh`, `scripts/down.sh`), in a compose project of its own:
 *
 *   images built (cached between runs) → three ZooKeeper, three masters, two agents, gateway,
 *   Prometheus → one leader, two agents → scaled to three agents → every daemon up in Prometheus
 *   → a task run by `meso run` in the tools container, as a sibling Docker container → every
 *   agent container recreated (an upgrade) with tasks running → the leader's container killed →
 *   a new leader, the agents back → everything removed: no container, network or volume left.
 *
 * Grafana is left out: its image cannot be seeded without a registry, and nothing here reads it
 * (test/e2e/compose-files.test.ts checks its provisioning). Every daemon must be among
 * Prometheus's targets and scraped successfully (`health: up`).
 *
 * Needs a Docker engine and a compose tool; skipped without them, failed under CI. Host ports are
 * chosen by the engine, so it runs beside a developer's own `npm run up`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/docker.js';
import {
  ComposeProject,
  composeSkipReason,
  existingVolumes,
  FULL_COMPOSE_FILE,
  run,
  type ProjectResources,
} from './helpers/compose.js';

/** The parts of `/master/state` this test reads. */
interface MasterState {
  readonly leader_info?: { readonly hostname: string };
  readonly slaves: readonly { readonly id: string; readonly hostname: string; readonly active: boolean }[];
  readonly frameworks: readonly {
    readonly id: string;
    readonly tasks: readonly { readonly id: string; readonly state: string; readonly slave_id: string }[];
  }[];
  readonly completed_frameworks: readonly {
    readonly id: string;
    readonly completed_tasks: readonly { readonly id: string; readonly state: string }[];
  }[];
}

interface PrometheusTargets {
  readonly data: {
    readonly activeTargets: readonly {
      readonly labels: Readonly<Record<string, string>>;
      readonly health: string;
    }[];
  };
}

/** Bounds on waiting for the cluster to change; generous, since CI machines are slow and shared. */
const CLUSTER_CHANGE_TIMEOUT_MS = 120_000;
const AGENTS = 2;

const skip = await composeSkipReason();

describe('compose cluster (compose/docker-compose.yml)', { skip }, () => {
  const name = `meso-e2e-${randomUUID().slice(0, 8)}`;
  let project: ComposeProject;
  let api: string;
  let owned: ProjectResources = { containers: [], networks: [], volumes: [] };
  let removed = false;

  const state = async (): Promise<MasterState> => {
    const response = await fetch(`${api}/master/state`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`/master/state answered ${response.status}`);
    return (await response.json()) as MasterState;
  };
  const activeAgents = (s: MasterState): string[] => s.slaves.filter((a) => a.active).map((a) => a.id);
  /** The cluster's state once `ready` holds for it. */
  const stateWhen = (what: string, ready: (s: MasterState) => boolean): Promise<MasterState> =>
    eventually(
      what,
      async () => {
        const s = await state();
        return ready(s) ? s : undefined;
      },
      CLUSTER_CHANGE_TIMEOUT_MS,
    );
  const remove = async (): Promise<void> => {
    owned = await project.resources();
    removed = true;
    await project.script('down.sh', []);
  };

  before(async () => {
    project = await ComposeProject.open(name, FULL_COMPOSE_FILE, {
      // Free host ports, so this runs beside a cluster of the developer's.
      MESO_API_PORT: '',
      PROMETHEUS_PORT: '',
      GRAFANA_PORT: '',
    });
    await project.script('up.sh', ['--agents', String(AGENTS), '--without', 'grafana']);
    api = await project.publishedUrl('gateway', 5050);
  });

  after(async () => {
    // Whatever happened above, leave nothing running.
    if (!removed && project !== undefined) await remove();
  });

  it('elects one leader and registers two agents', async () => {
    const s = await stateWhen('a leader and two agents', (s) => activeAgents(s).length === AGENTS);
    assert.match(s.leader_info?.hostname ?? '', /^master[123]$/);
    assert.equal(
      new Set(s.slaves.map((a) => a.hostname)).size,
      s.slaves.length,
      'agents have distinct hostnames',
    );
  });

  it('registers a third agent when scaled to three', async () => {
    await project.runCompose(['up', '-d', '--no-deps', '--no-recreate', '--scale', 'agent=3', 'agent']);
    const s = await stateWhen('three agents', (s) => activeAgents(s).length === 3);
    assert.equal(new Set(activeAgents(s)).size, 3);
  });

  it("lists every master, agent and framework among Prometheus's scrape targets, each one up", async () => {
    const prometheus = await project.publishedUrl('prometheus', 9090);
    const agentAddresses = await Promise.all(
      (await project.containers('agent')).map(async (id) => {
        const { stdout } = await run('docker', [
          'inspect',
          '-f',
          '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
          id,
        ]);
        return `${stdout.trim()}:5051`;
      }),
    );
    const frameworks = ['services:8090', 'jobs:8091'];
    const wanted = ['master1:5050', 'master2:5050', 'master3:5050', ...agentAddresses, ...frameworks].sort();
    await eventually(
      'every daemon among the Prometheus targets, scraped successfully',
      async () => {
        const response = await fetch(`${prometheus}/api/v1/targets?state=active`);
        const targets = ((await response.json()) as PrometheusTargets).data.activeTargets;
        const instances = targets.map((t) => t.labels.instance ?? '').sort();
        const allUp = targets.every((t) => t.health === 'up');
        return allUp && JSON.stringify(instances) === JSON.stringify(wanted) ? instances : undefined;
      },
      CLUSTER_CHANGE_TIMEOUT_MS,
    );
  });

  let frameworkId = '';
  let taskId = '';

  it('runs a task in a sibling container through `meso run` in the tools image', async () => {
    const marker = `hello-${randomUUID().slice(0, 8)}`;
    const { stdout, stderr } = await project.runCompose([
      'run',
      '--rm',
      'tools',
      'meso',
      'run',
      '--image',
      'meso/busybox:latest',
      '--timeout',
      '2mins',
      '--',
      `echo ${marker}`,
    ]);
    assert.match(stdout, new RegExp(marker));
    assert.match(stderr, /TASK_FINISHED/);
    frameworkId = /framework (\S+) subscribed/.exec(stderr)?.[1] ?? '';
    taskId = /launching task (\S+)/.exec(stderr)?.[1] ?? '';
    assert.notEqual(frameworkId, '', stderr);
    const s = await stateWhen('the framework completed', (s) =>
      s.completed_frameworks.some((f) => f.id === frameworkId),
    );
    const framework = s.completed_frameworks.find((f) => f.id === frameworkId);
    assert.deepEqual(
      framework?.completed_tasks.map((t) => [t.id, t.state]),
      [[taskId, 'TASK_FINISHED']],
    );
  });

  it('keeps task containers running, adopted and networked when every agent container is recreated (an upgrade)', async () => {
    // Two long tasks: one with host networking (in its agent's network keeper) and one on the
    // engine's bridge network. `meso run -d` in the tools container: each run is a framework.
    const runners: string[] = [];
    for (const network of ['host', 'bridge']) {
      const { stdout } = await project.runCompose([
        'run',
        '-d',
        'tools',
        'meso',
        'run',
        '--image',
        'meso/busybox:latest',
        '--network',
        network,
        '--',
        'sleep 600',
      ]);
      runners.push(stdout.trim().split('\n').at(-1) ?? '');
    }
    try {
      const runningTasks = (s: MasterState): { id: string; slave_id: string }[] =>
        s.frameworks
          .flatMap((f) => f.tasks)
          .filter((t) => t.state === 'TASK_RUNNING')
          .map((t) => ({ id: t.id, slave_id: t.slave_id }))
          .sort((x, y) => x.id.localeCompare(y.id));
      const before = await stateWhen('both long tasks running', (s) => runningTasks(s).length === 2);
      const tasks = runningTasks(before);
      const hostnames = (s: MasterState): string[] => s.slaves.map((a) => `${a.id} ${a.hostname}`).sort();
      /** `<docker id> <network mode> <started at>` of the task's container, as the engine has it now. */
      const container = async (taskId: string): Promise<string> => {
        const { stdout: id } = await run('docker', [
          'ps',
          '-q',
          '--no-trunc',
          '--filter',
          `label=meso.task_id=${taskId}`,
        ]);
        assert.notEqual(id.trim(), '', `a running container for ${taskId}`);
        const format = '{{.Id}} {{.HostConfig.NetworkMode}} {{.State.StartedAt}}';
        return (await run('docker', ['inspect', '-f', format, id.trim()])).stdout.trim();
      };
      const containersBefore = await Promise.all(tasks.map((t) => container(t.id)));
      assert.equal(
        containersBefore.filter((c) => / container:[0-9a-f]{64} /.test(c)).length,
        1,
        'one task in a keeper',
      );
      const agentContainers = await project.containers('agent');

      await project.runCompose(['up', '-d', '--no-deps', '--force-recreate', '--scale', 'agent=3', 'agent']);
      const recreated = await project.containers('agent');
      assert.equal(recreated.length, agentContainers.length);
      assert.deepEqual(
        recreated.filter((id) => agentContainers.includes(id)),
        [],
        'every agent container is new',
      );
      const after = await stateWhen(
        'the same agents re-registered from their new containers, both tasks still running',
        (s) =>
          JSON.stringify(activeAgents(s).sort()) === JSON.stringify(activeAgents(before).sort()) &&
          JSON.stringify(runningTasks(s)) === JSON.stringify(tasks),
      );
      assert.deepEqual(hostnames(after), hostnames(before), 'each agent keeps its keeper as its address');
      assert.deepEqual(
        await Promise.all(tasks.map((t) => container(t.id))),
        containersBefore,
        'never restarted',
      );
      for (const [i, task] of tasks.entries()) {
        const dockerId = containersBefore[i]?.split(' ')[0] ?? '';
        const { stdout: link } = await run('docker', [
          'exec',
          dockerId,
          'cat',
          '/sys/class/net/eth0/operstate',
        ]);
        assert.equal(link.trim(), 'up', `${task.id} still has its network`);
      }
      for (const runner of runners) {
        const { stderr: updates } = await run('docker', ['logs', runner]);
        assert.doesNotMatch(updates, /TASK_(LOST|FAILED|GONE|UNREACHABLE|KILLED)/, updates);
      }
    } finally {
      await run('docker', ['rm', '-f', ...runners]).catch(() => undefined);
    }
  });

  let agentsBeforeFailover: string[] = [];
  let failoverState: MasterState | undefined;

  it("elects a new leader when the leading master's container is killed, and the agents come back", async () => {
    const before = await state();
    const deposed = before.leader_info?.hostname;
    assert.ok(deposed !== undefined, 'a leader before the failover');
    agentsBeforeFailover = activeAgents(before).sort();
    const [container] = await project.containers(deposed);
    assert.ok(container !== undefined, `a container for ${deposed}`);
    await run('docker', ['kill', container]);
    failoverState = await stateWhen(
      'a new leader with every agent re-registered',
      (s) =>
        s.leader_info !== undefined &&
        s.leader_info.hostname !== deposed &&
        JSON.stringify(activeAgents(s).sort()) === JSON.stringify(agentsBeforeFailover),
    );
    assert.notEqual(failoverState.leader_info?.hostname, deposed);
  });

  it('keeps the completed framework and its task across the failover', async () => {
    // The new leader rebuilds its history from what the re-registering agents remember.
    const s = await stateWhen('the completed framework on the new leader', (s) =>
      s.completed_frameworks.some((f) => f.id === frameworkId),
    );
    assert.equal(s.leader_info?.hostname, failoverState?.leader_info?.hostname);
    const framework = s.completed_frameworks.find((f) => f.id === frameworkId);
    assert.deepEqual(
      framework?.completed_tasks.map((t) => [t.id, t.state]),
      [[taskId, 'TASK_FINISHED']],
    );
  });

  it('tears everything down with `npm run down`, leaving no container, network or volume', async () => {
    await remove();
    assert.ok(owned.containers.length > 0 && owned.networks.length > 0, 'the project owned something');
    const left = await project.resources();
    assert.deepEqual(left.containers, [], 'containers left');
    assert.deepEqual(left.networks, [], 'networks left');
    assert.deepEqual(await existingVolumes(owned.volumes), [], 'volumes left');
    const tasks = await run('docker', ['ps', '-aq', '--filter', `label=meso.framework_id=${frameworkId}`]);
    assert.equal(tasks.stdout.trim(), '', 'task containers left');
  });
});
