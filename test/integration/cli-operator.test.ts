/**
 * The `meso` client commands, the real binary, against a real master and agent: tables and
 * `-o json`, task logs (also followed), kill, weights, quota, completion, and the exit codes
 * scripts rely on (0 ok, 1 failure, 2 usage, 3 not found).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

const mesoBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'services', 'cmd', 'meso.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('meso client commands', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let scheduler: TestScheduler;
  let frameworkId: string;

  /** Runs `meso <args>` against the test master (through MESO_MASTER, as users would set it). */
  async function meso(...args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [mesoBin, ...args], {
        timeout: 30_000,
        env: { ...process.env, MESO_MASTER: master.url },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  const json = <T>(run: Run): T => {
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url, { resources: 'cpus:2;mem:1024;disk:512;ports:[31000-31099]' });
    scheduler = new TestScheduler(master.url, { name: 'cli-test-framework' });
    frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [
      commandTask(offer!, 'done-1', 'echo out-done; echo err-done >&2'),
      commandTask(offer!, 'long-1', 'echo started; sleep 60'),
    ]);
    await scheduler.sawUpdate('done-1', 'TASK_FINISHED');
    await scheduler.sawUpdate('long-1', 'TASK_RUNNING');
  });
  after(async () => {
    await scheduler[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('summarizes the cluster as text and as JSON', async () => {
    const text = await meso('cluster');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Leader: +\\S+:${master.port}`));
    assert.match(text.stdout, /Agents: +1 active, 0 unreachable/);
    assert.match(text.stdout, /cpus: +0\.1 of 2 used \(5%\)/);
    const summary = json<{
      agents: { active: number };
      tasks: Record<string, number>;
      resources: { cpus: { total: number } };
    }>(await meso('cluster', '-o', 'json'));
    assert.equal(summary.agents.active, 1);
    assert.equal(summary.tasks['TASK_RUNNING'], 1);
    assert.equal(summary.resources.cpus.total, 2);
  });

  it('lists agents, frameworks and tasks, filtered by state', async () => {
    const agents = await meso('agents');
    assert.equal(agents.code, 0, agents.stderr);
    assert.match(agents.stdout, /^ID +HOSTNAME +STATE +CPUS +MEM +DISK +TASKS +ATTRIBUTES\n/);
    assert.match(agents.stdout, /active +0\.1\/2 +32 MiB\/1 GiB +0 MiB\/512 MiB +1/);
    assert.equal(json<unknown[]>(await meso('agents', '-o', 'json')).length, 1);

    const frameworks = await meso('frameworks');
    assert.match(frameworks.stdout, new RegExp(`${frameworkId} +cli-test-framework +\\* +active +1 `));

    const running = await meso('tasks');
    assert.match(running.stdout, /long-1 +long-1 +TASK_RUNNING/);
    assert.doesNotMatch(running.stdout, /done-1/);
    const finished = json<{ task_id: { value: string } }[]>(
      await meso('tasks', '--state', 'finished', '-o', 'json'),
    );
    assert.deepEqual(
      finished.map((t) => t.task_id.value),
      ['done-1'],
    );
    const bad = await meso('tasks', '--state', 'sleepy');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown task state 'sleepy'/);
  });

  it("prints a finished task's stdout and stderr", async () => {
    const logs = await meso('task', 'logs', 'done-1');
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'out-done\n');
    assert.match(logs.stderr, /err-done/);
    const missing = await meso('task', 'logs', 'no-such-task');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no task 'no-such-task'/);
  });

  it('follows a running task until `meso kill` ends it', async () => {
    const follower = spawn(process.execPath, [mesoBin, 'task', 'logs', '--follow', 'long-1'], {
      env: { ...process.env, MESO_MASTER: master.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    const exited = once(follower, 'exit');
    const killed = await meso('kill', 'long-1');
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal(killed.stdout, 'long-1 TASK_KILLED\n');
    const [code] = (await exited) as [number];
    assert.equal(code, 0);
    assert.equal(followed, 'started\n');
    await scheduler.sawUpdate('long-1', 'TASK_KILLED');

    const again = await meso('kill', 'long-1');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already ended in TASK_KILLED/);
    assert.equal((await meso('kill', 'no-such-task')).code, 3);
  });

  it('shows and sets weights and quota', async () => {
    const set = await meso('weights', 'set', 'eng=2', 'ops=0.5');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'ROLE  WEIGHT\neng   2\nops   0.5\n');
    assert.deepEqual(json(await meso('weights', '-o', 'json')), [
      { role: 'eng', weight: 2 },
      { role: 'ops', weight: 0.5 },
    ]);
    assert.equal((await meso('weights', 'set', 'eng=heavy')).code, 2);

    const quota = await meso('quota', 'set', 'eng', '--guarantee', 'cpus=1,mem=128', '--limit', 'cpus=2');
    assert.equal(quota.code, 0, quota.stderr);
    assert.match(quota.stdout, /eng +cpus=1,mem=128 +cpus=2/);
    const refused = await meso('quota', 'set', 'eng', '--guarantee', 'cpus=3', '--limit', 'cpus=2');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /limit of 'cpus' \(2\) is below its guarantee \(3\)/);
    assert.deepEqual(json(await meso('quota', 'remove', 'eng', '-o', 'json')), []);
  });

  it('prints a bash completion script that bash accepts', async () => {
    const script = await meso('completion', 'bash');
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /complete -F _meso meso/);
    assert.match(script.stdout, /"task logs"\|"task logs "\*\) words="[^"]*--follow/);
    const check = spawn('bash', ['-n'], { stdio: ['pipe', 'ignore', 'pipe'] });
    check.stdin.end(script.stdout);
    const [code] = (await once(check, 'exit')) as [number];
    assert.equal(code, 0);
    assert.equal((await meso('completion', 'fish')).code, 2);
  });

  it('exits 2 on a bad command line and 1 when the master cannot be reached', async () => {
    assert.equal((await meso('agents', '--bogus')).code, 2);
    assert.equal((await meso('agents', '-o', 'yaml')).code, 2);
    const unreachable = await meso('agents', '--master', 'http://127.0.0.1:1');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the master at http:\/\/127\.0\.0\.1:1/);
  });
});
