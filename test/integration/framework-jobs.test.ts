/**
 * The jobs framework against a real cluster: ZooKeeper, a master, two agents and `meso jobs`
 * daemons, in real time (schedules of a few seconds).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cluster, type MesoProcess, startAgent, startMaster, waitFor } from '../helpers/cluster.js';
import { startZooKeeper, type ZooKeeperServer, zooKeeperSkipReason } from '../helpers/zookeeper.js';
import { api, keepLogs, startFrameworkDaemon } from './framework-harness.js';

interface RunJson {
  number: number;
  trigger: string;
  state: string;
  scheduledFor: string | null;
  missedRuns: number;
  createdAt: string;
  finishedAt: string | null;
  message: string | null;
  attempts: { state: string; exitStatus: number | null; message: string | null }[];
}

const WAIT_MS = 30_000;
const isoIn = (ms: number): string =>
  new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000', '');

describe('jobs framework', { skip: zooKeeperSkipReason() }, () => {
  let zk: ZooKeeperServer;
  let zkUrl: string;
  let masterUrl: string;
  let jobs: MesoProcess;
  let base: string;
  let agents: MesoProcess[] = [];

  const runs = async (name: string): Promise<RunJson[]> =>
    (await api<{ runs: RunJson[] }>(base, 'GET', `/v1/jobs/${name}/runs`)).body.runs;
  const finished = (name: string, count: number, timeoutMs = WAIT_MS) =>
    waitFor(
      async () => {
        const done = (await runs(name)).filter((r) => r.finishedAt !== null);
        return done.length >= count && done;
      },
      timeoutMs,
      `${count} finished runs of ${name}`,
    );
  const create = async (definition: Record<string, unknown>): Promise<void> => {
    const answer = await api(base, 'POST', '/v1/jobs', { cpus: 0.1, mem: 32, ...definition });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  };

  before(async () => {
    zk = await startZooKeeper();
    zkUrl = `zk://${zk.connectString}/meso-test/${randomUUID()}/jobs`;
    const master = await startMaster({ allocation_interval: '200ms' });
    masterUrl = master.url;
    agents = await Promise.all(
      ['a', 'b'].map((name) =>
        startAgent(masterUrl, { hostname: `agent-${name}`, resources: 'cpus:2;mem:1024;disk:512' }),
      ),
    );
    jobs = await startFrameworkDaemon('jobs', { master: masterUrl, zk: zkUrl, zk_session_timeout: '2secs' });
    base = jobs.url;
  });

  after(async () => {
    await keepLogs(agents);
    await cluster.stopAll();
    await zk?.destroy();
  });

  it('runs a job on an ISO 8601 interval schedule', async () => {
    await create({ name: 'tick', cmd: 'true', schedule: `R/${isoIn(2000)}/PT2S` });
    const done = (await finished('tick', 3)).slice(-3).reverse();
    assert.deepEqual(
      done.map((r) => [r.number, r.trigger, r.state]),
      [
        [1, 'schedule', 'succeeded'],
        [2, 'schedule', 'succeeded'],
        [3, 'schedule', 'succeeded'],
      ],
    );
    const due = done.map((r) => Date.parse(r.scheduledFor ?? ''));
    assert.deepEqual([due[1]! - due[0]!, due[2]! - due[1]!], [2000, 2000]);
    for (const run of done) {
      const lateMs = Date.parse(run.createdAt) - Date.parse(run.scheduledFor ?? '');
      assert.ok(lateMs >= 0 && lateMs < 1500, `run ${run.number} started ${lateMs}ms after it was due`);
    }
    assert.equal((await api(base, 'DELETE', '/v1/jobs/tick')).status, 200);
  });

  it('runs a job on a cron schedule with seconds', async () => {
    await create({ name: 'cron', cmd: 'true', schedule: '*/3 * * * * *', timeZone: 'Europe/Paris' });
    const done = await finished('cron', 2);
    for (const run of done) assert.equal(new Date(run.scheduledFor ?? '').getUTCSeconds() % 3, 0);
    const job = (await api<{ job: { nextRunAt: string } }>(base, 'GET', '/v1/jobs/cron')).body.job;
    assert.ok(Date.parse(job.nextRunAt) > Date.now() - 1000);
    assert.equal((await api(base, 'DELETE', '/v1/jobs/cron')).status, 200);
  });

  it('runs a dependent job only after its parent succeeds', async () => {
    const flag = join(await cluster.dir(), `flag-${randomUUID()}`);
    await create({ name: 'parent', cmd: `test -f ${flag}` });
    await create({ name: 'child', cmd: 'true', parents: ['parent'] });

    assert.equal((await api(base, 'POST', '/v1/jobs/parent/run')).status, 202);
    const [failed] = await finished('parent', 1);
    assert.equal(failed?.state, 'failed');
    // Nothing is due for the child: give the scheduler a moment to prove it does nothing.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await runs('child'), []);

    await writeFile(flag, '');
    assert.equal((await api(base, 'POST', '/v1/jobs/parent/run')).status, 202);
    const [succeeded] = await finished('parent', 2);
    assert.equal(succeeded?.state, 'succeeded');
    const [child] = await finished('child', 1);
    assert.deepEqual([child?.trigger, child?.state], ['dependency', 'succeeded']);
    assert.ok(Date.parse(child?.createdAt ?? '') >= Date.parse(succeeded?.finishedAt ?? ''));
  });

  it('retries a failing job the configured number of times', async () => {
    await create({ name: 'flaky', cmd: 'exit 3', retries: 2, retryBackoffSeconds: 0.5 });
    assert.equal((await api(base, 'POST', '/v1/jobs/flaky/run')).status, 202);
    const [run] = await finished('flaky', 1);
    assert.equal(run?.state, 'failed');
    assert.deepEqual(
      run?.attempts.map((a) => [a.state, a.exitStatus]),
      [
        ['TASK_FAILED', 3],
        ['TASK_FAILED', 3],
        ['TASK_FAILED', 3],
      ],
    );
  });

  it('kills an attempt that runs past its timeout', async () => {
    await create({ name: 'slow', cmd: 'sleep 60', timeoutSeconds: 1 });
    assert.equal((await api(base, 'POST', '/v1/jobs/slow/run')).status, 202);
    const [run] = await finished('slow', 1);
    assert.equal(run?.state, 'failed');
    assert.match(run?.message ?? '', /timed out after 1s/);
  });

  it('neither skips nor doubles a due run across a scheduler failover', async () => {
    await create({
      name: 'beat',
      cmd: 'true',
      schedule: `R/${isoIn(1000)}/PT2S`,
      concurrencyPolicy: 'allow',
    });
    await finished('beat', 2);
    const standby = await startFrameworkDaemon(
      'jobs',
      { master: masterUrl, zk: zkUrl, zk_session_timeout: '2secs' },
      { leader: false },
    );
    await jobs.kill('SIGKILL');
    base = standby.url;
    await waitFor(
      async () => ((await (await fetch(`${base}/health`)).json()) as { serving: boolean }).serving,
      WAIT_MS,
      'the standby to lead',
    );
    const before = (await runs('beat')).length;
    // Runs due every 2 s overlap; judge the finished ones once three more have ended.
    const done = await finished('beat', before + 3);
    assert.deepEqual(
      done.filter((r) => r.state !== 'succeeded'),
      [],
    );
    // Runs still active count too: what matters is that each occurrence got its run.
    const all = await runs('beat');
    // Each occurrence once: by its own run or folded into the next one (missedRuns).
    const due = all.map((r) => Date.parse(r.scheduledFor ?? '')).sort((a, b) => a - b);
    assert.equal(new Set(due).size, due.length, 'an occurrence ran twice');
    const accounted = all.reduce((sum, r) => sum + 1 + r.missedRuns, 0);
    assert.equal(
      accounted,
      (due[due.length - 1]! - due[0]!) / 2000 + 1,
      `an occurrence was skipped: ${JSON.stringify(all)}`,
    );
  });

  it('answers 400 naming the field for invalid job definitions', async () => {
    const bad = await api<string>(base, 'POST', '/v1/jobs', {
      name: 'bad',
      cmd: 'true',
      schedule: '*/5 * * *',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /schedule: cron expression '\*\/5 \* \* \*' has 4 fields/);
    const orphan = await api<string>(
      base,
      'POST',
      '/v1/jobs',
      'name: orphan\ncmd: "true"\nparents: [nobody]\n',
      'application/yaml',
    );
    assert.equal(orphan.status, 400);
    assert.match(orphan.body, /parents\[0\]: job 'nobody' does not exist/);
    const zone = await api<string>(base, 'POST', '/v1/jobs', {
      name: 'zone',
      cmd: 'true',
      schedule: '@daily',
      timeZone: 'Moon/Base',
    });
    assert.equal(zone.status, 400);
    assert.match(zone.body, /timeZone: unknown time zone 'Moon\/Base'/);
  });
});
