import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../../core/clock.js';
import type { AgentId, ContainerId, FrameworkId, TaskId } from '../../../core/ids.js';
import type { CommandInfo } from '../../../core/v1/tasks.js';
import { silentLogger } from '../../../log/logger.js';
import type { ContainerSpec } from '../containerizer.js';
import { parseProcStat, parseVmRssBytes } from './proc-stats.js';
import { ProcessContainerizer } from './process-containerizer.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'meso-process-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function specFor(
  command: Partial<CommandInfo>,
  extra: Partial<ContainerSpec> = {},
): Promise<ContainerSpec> {
  const sandboxDir = await mkdtemp(path.join(root, 'sandbox-'));
  return {
    containerId: randomUUID() as ContainerId,
    agentId: 'agent-1' as AgentId,
    frameworkId: 'fw-1' as FrameworkId,
    taskId: 'task-1' as TaskId,
    command: { shell: true, ...command },
    limits: { cpus: 0.5, memMiB: 64, diskMiB: 0 },
    ports: [],
    sandboxDir,
    env: {},
    ...extra,
  };
}

const sandboxFile = (spec: ContainerSpec, name: string): Promise<string> =>
  readFile(path.join(spec.sandboxDir, name), 'utf8');

/** True while `pid` is a live (non-zombie) process. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(.*\) [^Z]/.test(stat);
}

describe('ProcessContainerizer', () => {
  it('reports the exit code and writes stdout and stderr into the sandbox', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({ value: 'echo hello; echo oops >&2; exit 3' });
    assert.equal(await containerizer.launch(spec), 'launched');
    assert.equal(await containerizer.launch(spec), 'already-launched');
    const termination = await containerizer.wait(spec.containerId);
    assert.deepEqual(termination, { exitCode: 3, message: 'Command exited with status 3' });
    assert.deepEqual(await containerizer.wait(spec.containerId), termination);
    assert.equal(await sandboxFile(spec, 'stdout'), 'hello\n');
    assert.equal(await sandboxFile(spec, 'stderr'), 'oops\n');
  });

  it('runs in the sandbox with CommandInfo environment below the agent-provided one', async () => {
    await using containerizer = new ProcessContainerizer({
      clock: systemClock,
      log: silentLogger,
      baseEnv: { BASE: 'b' },
    });
    const spec = await specFor(
      {
        value: 'echo "$BASE $A $B $(pwd)"',
        environment: {
          variables: [
            { name: 'A', value: 'from-command' },
            { name: 'B', value: 'overridden' },
          ],
        },
      },
      { env: { B: 'from-agent' } },
    );
    await containerizer.launch(spec);
    assert.equal((await containerizer.wait(spec.containerId))?.exitCode, 0);
    assert.equal(await sandboxFile(spec, 'stdout'), `b from-command from-agent ${spec.sandboxDir}\n`);
  });

  it('runs `value` with `arguments` as argv when shell is false', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({ shell: false, value: '/bin/echo', arguments: ['echo', 'a b', 'c'] });
    await containerizer.launch(spec);
    await containerizer.wait(spec.containerId);
    assert.equal(await sandboxFile(spec, 'stdout'), 'a b c\n');
  });

  it('rejects with CONTAINER_LAUNCH_FAILED when the executable does not exist', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({ shell: false, value: '/nonexistent/binary' });
    await assert.rejects(containerizer.launch(spec), { code: 'CONTAINER_LAUNCH_FAILED', message: /ENOENT/ });
    assert.equal(await containerizer.wait(spec.containerId), undefined);
    await assert.rejects(containerizer.launch(await specFor({})), { code: 'CONTAINER_LAUNCH_FAILED' });
  });

  it('lets a task that traps SIGTERM finish within its grace period', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({
      value: "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.05; done",
    });
    await containerizer.launch(spec);
    await waitFor(async () => (await sandboxFile(spec, 'stdout')).includes('ready'));
    const started = Date.now();
    await containerizer.kill(spec.containerId, 10_000);
    assert.ok(Date.now() - started < 5000, 'exited on SIGTERM, long before the grace period');
    const termination = await containerizer.wait(spec.containerId);
    assert.equal(termination?.exitCode, 0);
    assert.equal(termination?.reason, 'killed');
    assert.match(await sandboxFile(spec, 'stdout'), /got-term/);
  });

  it('sends SIGKILL to a task that ignores SIGTERM once the grace period is over', async () => {
    const clock = new ManualClock();
    await using containerizer = new ProcessContainerizer({ clock, log: silentLogger });
    const spec = await specFor({ value: "trap '' TERM; echo ready; while true; do sleep 0.05; done" });
    await containerizer.launch(spec);
    await waitFor(async () => (await sandboxFile(spec, 'stdout')).includes('ready'));
    let exited = false;
    const killed = containerizer.kill(spec.containerId, 3000).then(() => (exited = true));
    await sleep(300);
    assert.equal(exited, false, 'SIGTERM was ignored');
    clock.advance(3000);
    await killed;
    const termination = await containerizer.wait(spec.containerId);
    assert.deepEqual(termination, {
      signal: 'SIGKILL',
      reason: 'killed',
      message: 'Command terminated with signal SIGKILL',
    });
  });

  it('kills what the task left running in its process group when it exits', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({ value: 'sleep 60 & echo $! > child.pid; exit 0' });
    await containerizer.launch(spec);
    await containerizer.wait(spec.containerId);
    const childPid = Number(await sandboxFile(spec, 'child.pid'));
    await waitFor(async () => !(await alive(childPid)));
  });

  it('samples usage of a running process and nothing once it ended', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor({ value: 'sleep 30' });
    await containerizer.launch(spec);
    const usage = await containerizer.usage(spec.containerId);
    assert.ok(usage !== undefined);
    assert.equal(usage.cpusLimit, 0.5);
    assert.equal(usage.memLimitBytes, 64 * 1024 * 1024);
    if (process.platform === 'linux') assert.ok(usage.memRssBytes > 0, 'rss measured from /proc');
    await containerizer.kill(spec.containerId, 0);
    assert.equal(await containerizer.usage(spec.containerId), undefined);
  });

  it('runs a health check command in the task sandbox with the task environment', async () => {
    await using containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const spec = await specFor(
      { value: 'touch ok; sleep 30', environment: { variables: [{ name: 'FROM_TASK', value: 't' }] } },
      { env: { MESOS_TASK_ID: 'task-1' } },
    );
    await containerizer.launch(spec);
    await waitFor(async () => (await sandboxFile(spec, 'ok')) === '');
    const check = (command: Partial<CommandInfo>) =>
      containerizer.exec(spec.containerId, { shell: true, ...command }, { timeoutMs: 5000 });
    assert.deepEqual(await check({ value: 'test -f missing' }), {
      exitCode: 1,
      message: 'command exited with code 1',
    });
    const inSandbox = `test -f ok && test "$(pwd)" = '${spec.sandboxDir}' && test "$MESOS_TASK_ID$FROM_TASK$OWN" = task-1tc`;
    const own = { variables: [{ name: 'OWN', value: 'c' }] };
    assert.deepEqual(await check({ value: inSandbox, environment: own }), {
      exitCode: 0,
      message: 'command exited with code 0',
    });
    assert.equal(
      (await check({ shell: false, value: '/bin/test', arguments: ['test', '-f', 'ok'] })).exitCode,
      0,
    );
    assert.match(
      (await check({ shell: false, value: '/nonexistent/check' })).message,
      /could not run: .*ENOENT/,
    );
    await containerizer.kill(spec.containerId, 0);
    assert.deepEqual(await check({ value: 'true' }), {
      exitCode: undefined,
      message: 'container is not running',
    });
  });

  it('kills a health check command, and what it started, at its timeout', async () => {
    const clock = new ManualClock();
    await using containerizer = new ProcessContainerizer({ clock, log: silentLogger });
    const spec = await specFor({ value: 'sleep 30' });
    await containerizer.launch(spec);
    const checking = containerizer.exec(
      spec.containerId,
      { shell: true, value: 'sleep 60 & echo $! > check.pid; wait' },
      { timeoutMs: 2000 },
    );
    await waitFor(async () => (await sandboxFile(spec, 'check.pid')).endsWith('\n'));
    clock.advance(2000);
    assert.deepEqual(await checking, { exitCode: undefined, message: 'command killed after 2000 ms' });
    const childPid = Number(await sandboxFile(spec, 'check.pid'));
    await waitFor(async () => !(await alive(childPid)));
    assert.equal(
      await containerizer.usage(spec.containerId).then((u) => u !== undefined),
      true,
      'the task runs on',
    );
  });

  it("kills what a crashed agent's containers left running, known or orphaned, and only its own", async () => {
    const notesDir = await mkdtemp(path.join(root, 'notes-'));
    // The "crashed" agent: never disposed, so its tasks keep running as a crash would leave them.
    const crashed = new ProcessContainerizer({ clock: systemClock, log: silentLogger, notesDir });
    const known = await specFor({ value: 'sleep 600 & echo $! > child.pid; wait' });
    const orphan = await specFor({ value: 'sleep 600' });
    const otherAgents = await specFor({ value: 'sleep 600' }, { agentId: 'agent-2' as AgentId });
    for (const spec of [known, orphan, otherAgents]) await crashed.launch(spec);
    await waitFor(async () => (await sandboxFile(known, 'child.pid')).trim() !== '');
    const childPid = Number(await sandboxFile(known, 'child.pid'));
    const finished = await specFor({ value: 'true' });
    await crashed.launch(finished);
    await crashed.wait(finished.containerId);

    const restarted = new ProcessContainerizer({ clock: systemClock, log: silentLogger, notesDir });
    const summary = await restarted.recover('agent-1' as AgentId, new Set([known.containerId]));
    assert.deepEqual(
      summary.recovered.map((r) => [r.containerId, r.termination?.reason, r.termination?.message]),
      [
        [
          known.containerId,
          'lost',
          'Process containers do not survive an agent restart; its processes were killed',
        ],
      ],
    );
    assert.deepEqual(summary.orphansDestroyed, [orphan.containerId]);
    assert.equal((await crashed.wait(known.containerId))?.signal, 'SIGKILL');
    assert.equal((await crashed.wait(orphan.containerId))?.signal, 'SIGKILL');
    await waitFor(async () => !(await alive(childPid)));
    // Another agent's container (a stale agent's, handled by its own recovery) is left alone.
    assert.ok((await crashed.usage(otherAgents.containerId)) !== undefined, 'still running');
    const onlyOthers = [`${otherAgents.containerId}.json`];
    await waitFor(async () => JSON.stringify(await readdir(notesDir)) === JSON.stringify(onlyOthers));
    await crashed.killAll(0);
  });

  it('refuses specs that name an image and reports known containers as lost on recovery', async () => {
    const containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const docker = await specFor(
      { value: 'true' },
      { container: { type: 'DOCKER', docker: { image: 'nginx' } } },
    );
    assert.equal(containerizer.supports(docker), false);
    assert.equal(
      containerizer.supports(await specFor({ value: 'true' }, { container: { type: 'MESOS' } })),
      true,
    );
    const summary = await containerizer.recover('agent-1' as AgentId, new Set(['c1' as ContainerId]));
    assert.deepEqual(
      summary.recovered.map((r) => [r.containerId, r.termination?.reason]),
      [['c1', 'lost']],
    );
  });
});

describe('proc parsing', () => {
  it('counts stat fields from the last parenthesis', () => {
    const line = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 123 1000 200';
    assert.deepEqual(parseProcStat(line), {
      pid: 4242,
      processGroupId: 4242,
      userTicks: 250,
      systemTicks: 75,
      startTicks: 123,
    });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('reads VmRSS in kB', () => {
    assert.equal(parseVmRssBytes('Name:\tsleep\nVmRSS:\t    1024 kB\nThreads:\t1\n'), 1024 * 1024);
    assert.equal(parseVmRssBytes('Name:\tkthreadd\n'), 0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(20);
  }
}
