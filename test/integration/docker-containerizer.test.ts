/**
 * The docker containerizer against a real engine: exit codes and output, cgroup limits seen from
 * outside (`docker inspect`) and inside (the container's own cgroup files), OOM, kill with a grace
 * period, published ports, volumes policy, and launch failures carrying the engine's reason.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MesoError } from '../../services/core/errors.js';
import type { ContainerInfo } from '../../services/core/v1/tasks.js';
import { containerName } from '../../services/agent/containerizer/docker/labels.js';
import {
  BUSYBOX,
  cleanUp,
  cliInspect,
  dockerSkipReason,
  eventually,
  freePort,
  PRINT_CGROUP_LIMITS,
  readSandbox,
  taskSpec,
  testAgentId,
  testContainerizer,
  testDockerApi,
} from '../helpers/docker.js';

const skip = await dockerSkipReason();
const agentId = testAgentId();
/** A hung engine call fails its test instead of stalling the run. */
const LIMIT = { timeout: 30_000 };
const MIB = 1024 * 1024;

describe('DockerContainerizer', { skip }, () => {
  const containerizer = testContainerizer();
  after(() => cleanUp(agentId));

  it('runs a busybox task to its exit code and streams its output into the sandbox', LIMIT, async () => {
    const spec = await taskSpec(agentId, {
      command: 'echo hello "$GREETING"; echo oops >&2; exit 3',
      env: { GREETING: 'meso' },
    });
    assert.equal(containerizer.supports(spec), true);
    assert.equal(await containerizer.launch(spec), 'launched');
    assert.equal(await containerizer.launch(spec), 'already-launched');
    const termination = await containerizer.wait(spec.containerId);
    assert.equal(termination?.exitCode, 3);
    assert.equal(termination?.reason, undefined);
    assert.equal(await readSandbox(spec, 'stdout'), 'hello meso\n');
    assert.equal(await readSandbox(spec, 'stderr'), 'oops\n');
    // The container is removed once it has ended; the same answer keeps coming from `wait`.
    assert.equal(await testDockerApi().inspect(containerName(spec)), undefined);
    assert.deepEqual(await containerizer.wait(spec.containerId), termination);
  });

  it('runs a command without a shell as the image CMD with its arguments', LIMIT, async () => {
    const spec = await taskSpec(agentId, {
      command: { shell: false, value: '/bin/echo', arguments: ['one', 'two words'] },
    });
    await containerizer.launch(spec);
    assert.equal((await containerizer.wait(spec.containerId))?.exitCode, 0);
    assert.equal(await readSandbox(spec, 'stdout'), 'one two words\n');
  });

  it('applies cpu and memory limits, visible to docker inspect and inside the container', LIMIT, async () => {
    const spec = await taskSpec(agentId, {
      command: `${PRINT_CGROUP_LIMITS}\nsleep 30`,
      limits: { cpus: 0.25, memMiB: 48 },
    });
    await containerizer.launch(spec);
    try {
      const { HostConfig } = await cliInspect(containerName(spec));
      assert.equal(HostConfig['CpuQuota'], 25_000);
      assert.equal(HostConfig['CpuPeriod'], 100_000);
      assert.equal(HostConfig['CpuShares'], 256);
      assert.equal(HostConfig['Memory'], 48 * MIB);
      assert.equal(HostConfig['MemorySwap'], 48 * MIB);
      assert.equal(HostConfig['PidsLimit'], 4096);
      const inside = await eventually('cgroup limits in stdout', async () => {
        const out = await readSandbox(spec, 'stdout');
        return out.includes('mem ') ? out : undefined;
      });
      assert.match(inside, /^cpu 25000$/m);
      assert.match(inside, new RegExp(`^mem ${48 * MIB}$`, 'm'));
      const usage = await containerizer.usage(spec.containerId);
      assert.equal(usage?.memLimitBytes, 48 * MIB);
      assert.equal(usage?.cpusLimit, 0.25);
      assert.ok((usage?.memRssBytes ?? 0) > 0);
    } finally {
      await containerizer.kill(spec.containerId, 0);
    }
    assert.equal(await containerizer.usage(spec.containerId), undefined);
  });

  it('reports a task that allocates past its memory limit with reason oom', LIMIT, async () => {
    const spec = await taskSpec(agentId, {
      command: 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived',
      limits: { memMiB: 32 },
    });
    await containerizer.launch(spec);
    const termination = await containerizer.wait(spec.containerId);
    assert.equal(termination?.reason, 'oom', termination?.message);
    assert.equal(termination?.signal, 'SIGKILL');
    assert.equal(await readSandbox(spec, 'stdout'), '');
  });

  it(
    'stops with SIGTERM first: a task that traps it exits cleanly within the grace period',
    LIMIT,
    async () => {
      const spec = await taskSpec(agentId, {
        command: "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done",
      });
      await containerizer.launch(spec);
      await eventually('ready', async () =>
        (await readSandbox(spec, 'stdout')).includes('ready') ? true : undefined,
      );
      const startMs = Date.now();
      await containerizer.kill(spec.containerId, 5_000);
      assert.ok(Date.now() - startMs < 4_000, 'the trap ended it before the grace period ran out');
      const termination = await containerizer.wait(spec.containerId);
      assert.equal(termination?.reason, 'killed');
      assert.equal(termination?.exitCode, 0);
      assert.equal(await readSandbox(spec, 'stdout'), 'ready\ngot-term\n');
    },
  );

  it('stops with SIGKILL once the grace period has passed', LIMIT, async () => {
    const spec = await taskSpec(agentId, {
      command: "trap '' TERM; echo ready; while true; do sleep 0.1; done",
    });
    await containerizer.launch(spec);
    await eventually('ready', async () =>
      (await readSandbox(spec, 'stdout')).includes('ready') ? true : undefined,
    );
    const startMs = Date.now();
    await containerizer.kill(spec.containerId, 1_000);
    assert.ok(Date.now() - startMs >= 1_000, 'SIGKILL came only after the grace period');
    const termination = await containerizer.wait(spec.containerId);
    assert.equal(termination?.reason, 'killed');
    assert.equal(termination?.signal, 'SIGKILL');
  });

  it('publishes a mapped host port on a BRIDGE network', LIMIT, async () => {
    const hostPort = await freePort();
    const spec = await taskSpec(agentId, {
      command: 'mkdir -p /www && echo hello-from-busybox > /www/index.html && exec httpd -f -p 8080 -h /www',
      container: {
        type: 'DOCKER',
        docker: {
          image: BUSYBOX,
          network: 'BRIDGE',
          port_mappings: [{ host_port: hostPort, container_port: 8080 }],
        },
      },
      ports: [hostPort],
    });
    await containerizer.launch(spec);
    try {
      const body = await eventually('httpd answering', async () => {
        const response = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? response.text() : undefined;
      });
      assert.equal(body, 'hello-from-busybox\n');
    } finally {
      await containerizer.kill(spec.containerId, 0);
    }
  });

  it(
    'maps the task host ports to the same container ports on BRIDGE without explicit mappings',
    LIMIT,
    async () => {
      const hostPort = await freePort();
      const spec = await taskSpec(agentId, {
        command: 'mkdir -p /www && echo "port $PORT0" > /www/index.html && exec httpd -f -p "$PORT0" -h /www',
        container: { type: 'DOCKER', docker: { image: BUSYBOX, network: 'BRIDGE' } },
        ports: [hostPort],
        env: { PORT0: String(hostPort) },
      });
      await containerizer.launch(spec);
      try {
        const body = await eventually('httpd answering', async () => {
          const response = await fetch(`http://127.0.0.1:${hostPort}/`, {
            signal: AbortSignal.timeout(2_000),
          });
          return response.ok ? response.text() : undefined;
        });
        assert.equal(body, `port ${hostPort}\n`);
      } finally {
        await containerizer.kill(spec.containerId, 0);
      }
    },
  );

  it('bind-mounts volumes under an allowed prefix and refuses others', LIMIT, async () => {
    const allowed = await mkdtemp(join(tmpdir(), 'meso-volume-'));
    await writeFile(join(allowed, 'greeting'), 'from the host\n');
    const withVolumes = testContainerizer({ volumeAllowList: [allowed] });
    const volume = (hostPath: string): ContainerInfo => ({
      type: 'DOCKER',
      docker: { image: BUSYBOX },
      volumes: [{ container_path: '/data', host_path: hostPath, mode: 'RO' }],
    });
    const good = await taskSpec(agentId, { command: 'cat /data/greeting', container: volume(allowed) });
    await withVolumes.launch(good);
    assert.equal((await withVolumes.wait(good.containerId))?.exitCode, 0);
    assert.equal(await readSandbox(good, 'stdout'), 'from the host\n');

    const bad = await taskSpec(agentId, { command: 'true', container: volume(`${allowed}/../../etc`) });
    await assert.rejects(withVolumes.launch(bad), (err: unknown) => {
      assert.ok(err instanceof MesoError);
      assert.equal(err.code, 'CONTAINER_LAUNCH_FAILED');
      assert.match(err.message, /is not allowed for volumes/);
      return true;
    });
  });

  for (const [what, image, reason] of [
    ['a missing image', 'meso/does-not-exist:1', /pull image meso\/does-not-exist:1: .+/],
    ['a bad image name', 'Bad Name!!', /invalid reference format/],
  ] as const) {
    it(`rejects ${what} with CONTAINER_LAUNCH_FAILED and the engine's reason`, LIMIT, async () => {
      const spec = await taskSpec(agentId, {
        command: 'true',
        container: { type: 'DOCKER', docker: { image } },
      });
      const progress: string[] = [];
      await assert.rejects(
        containerizer.launch(spec, (message) => progress.push(message)),
        (err: unknown) => {
          assert.ok(err instanceof MesoError);
          assert.equal(err.code, 'CONTAINER_LAUNCH_FAILED');
          assert.match(err.message, reason);
          return true;
        },
      );
      assert.deepEqual(await containerizer.wait(spec.containerId), undefined);
    });
  }

  it('runs plain commands only when a default image is configured', LIMIT, async () => {
    const plain = { ...(await taskSpec(agentId, { command: 'echo plain' })), container: undefined };
    assert.equal(containerizer.supports(plain), false);
    const withDefault = testContainerizer({ defaultImage: BUSYBOX });
    assert.equal(withDefault.supports(plain), true);
    await withDefault.launch(plain);
    assert.equal((await withDefault.wait(plain.containerId))?.exitCode, 0);
    assert.equal(await readSandbox(plain, 'stdout'), 'plain\n');
  });
});
