/**
 * The services framework against a real cluster: ZooKeeper, a master, three agents with distinct
 * hostnames (and port ranges, since they share this host), and `meso services` daemons. Tasks are
 * small Node HTTP servers that write their pid where the test can find it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cluster, type MesoProcess, startAgent, startMaster, waitFor } from '../helpers/cluster.js';
import { startZooKeeper, type ZooKeeperServer, zooKeeperSkipReason } from '../helpers/zookeeper.js';
import { api, keepLogs, startFrameworkDaemon } from './framework-harness.js';

interface TaskJson {
  id: string;
  version: number;
  hostname: string;
  host: string;
  ports: number[];
  phase: string;
  healthy: boolean | null;
}
interface AppJson {
  id: string;
  version: number;
  tasksHealthy: number;
  tasks: TaskJson[];
  deployment: unknown;
  waiting: { status: string; lastFailure: { message: string } | null } | null;
}

const SERVER = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
writeFileSync(process.env.PID_DIR + '/' + process.env.MESOS_TASK_ID + '.pid', String(process.pid));
createServer((req, res) => {
  res.statusCode = req.url === '/health' && process.env.HEALTHY === 'no' ? 500 : 200;
  res.end(process.env.VERSION ?? 'v1');
}).listen(Number(process.env.PORT0), '127.0.0.1');
`;

const WAIT_MS = 30_000;

describe('services framework', { skip: zooKeeperSkipReason() }, () => {
  let zk: ZooKeeperServer;
  let zkUrl: string;
  let masterUrl: string;
  let services: MesoProcess;
  let base: string;
  let agents: MesoProcess[] = [];
  let pidDir: string;
  let serverCmd: string;

  const app = async (id: string): Promise<AppJson> =>
    (await api<{ app: AppJson }>(base, 'GET', `/v2/apps/${id}`)).body.app;
  const webDefinition = (extra: Record<string, unknown> = {}) => ({
    id: 'web',
    cmd: serverCmd,
    instances: 3,
    cpus: 0.1,
    mem: 32,
    ports: ['http'],
    env: { PID_DIR: pidDir },
    constraints: [['hostname', 'UNIQUE']],
    healthChecks: [
      {
        protocol: 'HTTP',
        path: '/health',
        intervalSeconds: 1,
        timeoutSeconds: 1,
        gracePeriodSeconds: 10,
        maxConsecutiveFailures: 3,
      },
    ],
    backoffSeconds: 0.5,
    ...extra,
  });
  const healthyWeb = (count: number, version?: number) =>
    waitFor(
      async () => {
        const web = await app('web');
        const ok = web.tasks.length === count && web.tasksHealthy === count && web.deployment === null;
        return ok && (version === undefined || web.tasks.every((t) => t.version === version)) && web;
      },
      WAIT_MS,
      `${count} healthy web tasks`,
    );
  const pidOf = async (taskId: string): Promise<number> =>
    Number(await readFile(join(pidDir, `${taskId}.pid`), 'utf8'));
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  before(async () => {
    zk = await startZooKeeper();
    zkUrl = `zk://${zk.connectString}/meso-test/${randomUUID()}/services`;
    pidDir = await cluster.dir();
    const script = join(pidDir, 'server.mjs');
    await writeFile(script, SERVER);
    serverCmd = `exec ${process.execPath} ${script}`;
    const master = await startMaster({ allocation_interval: '200ms' });
    masterUrl = master.url;
    // Below Linux's ephemeral ports, and away from the 31000s other tests' agents offer.
    const portBase = 20_000 + 300 * Math.floor(Math.random() * 30);
    agents = await Promise.all(
      ['a', 'b', 'c'].map((name, i) =>
        startAgent(masterUrl, {
          hostname: `agent-${name}`,
          resources: `cpus:1;mem:512;disk:512;ports:[${portBase + i * 100}-${portBase + i * 100 + 99}]`,
        }),
      ),
    );
    services = await startFrameworkDaemon('services', {
      master: masterUrl,
      zk: zkUrl,
      zk_session_timeout: '2secs',
    });
    base = services.url;
  });

  after(async () => {
    // Tasks outlive their agent (agents recover them after a restart): end them explicitly.
    for (const file of await readdir(pidDir).catch(() => [])) {
      if (!file.endsWith('.pid')) continue;
      const pid = Number(await readFile(join(pidDir, file), 'utf8'));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await keepLogs(agents);
    await cluster.stopAll();
    await zk?.destroy();
  });

  it('spreads an app with a UNIQUE hostname constraint across the agents', async () => {
    const created = await api(base, 'POST', '/v2/apps', webDefinition());
    assert.equal(created.status, 201);
    const web = await healthyWeb(3);
    assert.deepEqual(web.tasks.map((t) => t.hostname).sort(), ['agent-a', 'agent-b', 'agent-c']);
  });

  it('replaces a task whose process was killed', async () => {
    const before = await app('web');
    const victim = before.tasks[0];
    assert.ok(victim);
    process.kill(await pidOf(victim.id), 'SIGKILL');
    const after = await waitFor(
      async () => {
        const web = await app('web');
        return !web.tasks.some((t) => t.id === victim.id) && web.tasksHealthy === 3 && web;
      },
      WAIT_MS,
      'a healthy replacement',
    );
    assert.equal(
      after.tasks.find((t) => !before.tasks.some((b) => b.id === t.id))?.hostname,
      victim.hostname,
    );
  });

  it('restarts an app whose health check fails', async () => {
    const sick = {
      id: 'sick',
      cmd: serverCmd,
      ports: ['http'],
      cpus: 0.1,
      mem: 32,
      env: { PID_DIR: pidDir, HEALTHY: 'no' },
      healthChecks: [
        {
          protocol: 'HTTP',
          path: '/health',
          intervalSeconds: 1,
          timeoutSeconds: 1,
          gracePeriodSeconds: 1,
          maxConsecutiveFailures: 2,
        },
      ],
      backoffSeconds: 0.5,
    };
    assert.equal((await api(base, 'POST', '/v2/apps', sick)).status, 201);
    const first = await waitFor(async () => (await app('sick')).tasks[0]?.id, WAIT_MS, 'the first sick task');
    const restarted = await waitFor(
      async () => {
        const current = await app('sick');
        return current.tasks.some((t) => t.id !== first) && current;
      },
      WAIT_MS,
      'a replacement of the unhealthy task',
    );
    assert.match(
      restarted.waiting?.lastFailure?.message ?? '',
      /unhealthy: HTTP health check failed 2 times in a row \(last: HTTP 500\)/,
    );
    assert.equal((await api(base, 'DELETE', '/v2/apps/sick')).status, 200);
  });

  it('has the agent run a COMMAND health check: healthy while it passes, replaced once it fails', async () => {
    const marker = join(pidDir, 'probe-ok');
    const probe = {
      id: 'probe',
      // The check runs in the task's environment, so it sees MARKER too.
      cmd: 'touch "$MARKER" && exec sleep 600',
      cpus: 0.1,
      mem: 32,
      env: { MARKER: marker },
      healthChecks: [
        {
          protocol: 'COMMAND',
          command: 'test -f "$MARKER"',
          intervalSeconds: 1,
          timeoutSeconds: 1,
          gracePeriodSeconds: 1,
          maxConsecutiveFailures: 2,
        },
      ],
      backoffSeconds: 0.5,
    };
    assert.equal((await api(base, 'POST', '/v2/apps', probe)).status, 201);
    const healthy = await waitFor(
      async () => {
        const current = await app('probe');
        return current.tasksHealthy === 1 && current.tasks[0];
      },
      WAIT_MS,
      'the probe task healthy by its COMMAND check',
    );
    await rm(marker);
    // While the replacement waits out its backoff, the app shows why its task ended.
    const failure = await waitFor(
      async () => (await app('probe')).waiting?.lastFailure?.message,
      WAIT_MS,
      'the failing task killed by its agent',
    );
    assert.match(failure, /consecutive health checks/);
    await waitFor(
      async () => {
        const current = await app('probe');
        return current.tasksHealthy === 1 && current.tasks.every((t) => t.id !== healthy.id);
      },
      WAIT_MS,
      'a healthy replacement',
    );
    assert.equal((await api(base, 'DELETE', '/v2/apps/probe')).status, 200);
  });

  it('upgrades v1 → v2 without dropping below the minimum health capacity', async () => {
    // UNIQUE on three agents leaves no room above 3 tasks: replace one at a time, keeping 2 healthy.
    const strategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };
    const updated = await api<{ app: AppJson }>(
      base,
      'PUT',
      '/v2/apps/web',
      webDefinition({ env: { PID_DIR: pidDir, VERSION: 'v2' }, upgradeStrategy: strategy }),
    );
    assert.equal(updated.status, 200);
    assert.equal(updated.body.app.version, 2);

    const samples: { api: number; serving: number }[] = [];
    const done = await waitFor(
      async () => {
        const web = await app('web');
        // Independently of the scheduler's view: which tasks answer their health endpoint now?
        const serving = await Promise.all(
          web.tasks.map((t) =>
            fetch(`http://${t.host}:${t.ports[0]}/health`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        );
        samples.push({ api: web.tasksHealthy, serving: serving.filter(Boolean).length });
        return (
          web.deployment === null &&
          web.tasks.length === 3 &&
          web.tasks.every((t) => t.version === 2 && t.healthy === true) &&
          web
        );
      },
      60_000,
      'the upgrade to finish',
    );
    assert.ok(samples.length > 5, `only ${samples.length} samples`);
    const lowest = Math.min(...samples.map((s) => Math.min(s.api, s.serving)));
    assert.ok(lowest >= 2, `healthy dropped to ${lowest}: ${JSON.stringify(samples)}`);
    const bodies = await Promise.all(
      done.tasks.map(async (t) => (await fetch(`http://${t.host}:${t.ports[0]}/`)).text()),
    );
    assert.deepEqual(bodies, ['v2', 'v2', 'v2']);
  });

  it('scales to zero and back', async () => {
    const pids = await Promise.all((await app('web')).tasks.map((t) => pidOf(t.id)));
    assert.equal((await api(base, 'POST', '/v2/apps/web/scale', { instances: 0 })).status, 200);
    await waitFor(async () => (await app('web')).tasks.length === 0, WAIT_MS, 'no web tasks');
    await waitFor(() => pids.every((pid) => !alive(pid)), WAIT_MS, 'the task processes to exit');
    assert.equal((await api(base, 'POST', '/v2/apps/web/scale', { instances: 3 })).status, 200);
    await healthyWeb(3, 2);
  });

  it('a standby takes over when the leader dies, and adopts every task', async () => {
    const before = await healthyWeb(3);
    const pids = await Promise.all(before.tasks.map((t) => pidOf(t.id)));
    const standby = await startFrameworkDaemon(
      'services',
      { master: masterUrl, zk: zkUrl, zk_session_timeout: '2secs' },
      { leader: false },
    );
    const redirected = await waitFor(
      async () => {
        const answer = await api(standby.url, 'GET', '/v2/apps');
        return answer.status !== 503 && answer;
      },
      WAIT_MS,
      'the standby to learn who leads',
    );
    assert.equal(redirected.status, 307);
    assert.equal(redirected.location, `${services.url}/v2/apps`);

    await services.kill('SIGKILL');
    base = standby.url;
    await waitFor(
      async () => ((await (await fetch(`${base}/health`)).json()) as { serving: boolean }).serving,
      WAIT_MS,
      'the standby to lead',
    );
    const adopted = await waitFor(
      async () => {
        const web = await app('web');
        return web.tasks.every((t) => t.phase === 'running' && t.healthy === true) && web;
      },
      WAIT_MS,
      'the tasks to be adopted',
    );
    assert.deepEqual(adopted.tasks.map((t) => t.id).sort(), before.tasks.map((t) => t.id).sort());
    assert.ok(pids.every(alive), 'no task was restarted');
  });

  it('answers 400 naming the field for invalid app definitions', async () => {
    const json = await api<string>(base, 'POST', '/v2/apps', { id: 'bad', cmd: 'x', cpus: -1 });
    assert.equal(json.status, 400);
    assert.match(json.body, /cpus: /);
    const yaml = await api<string>(
      base,
      'POST',
      '/v2/apps',
      'id: bad\ncmd: x\nconstraints: [[hostname, MAX_PER]]\n',
      'application/yaml',
    );
    assert.equal(yaml.status, 400);
    assert.match(yaml.body, /constraints\[0\]: MAX_PER takes a positive integer/);
    const unknown = await api<string>(base, 'POST', '/v2/apps/nope/scale', { instances: 1 });
    assert.equal(unknown.status, 404);
  });
});
