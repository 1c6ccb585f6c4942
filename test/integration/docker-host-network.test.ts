/**
 * `--docker_host_network container:<id>` against a real engine: a long-running busybox container
 * stands in for an agent running in a container; a HOST-network task launched with its id joins
 * its network namespace, so the task's port answers on 127.0.0.1 inside the stand-in. When the
 * stand-in is restarted or removed (the agent's container restarted or recreated), the task is
 * left without a network: a recovering agent stops it and reports it, rather than adopting it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { containerName } from '../../services/agent/containerizer/docker/labels.js';
import {
  BUSYBOX,
  cleanUp,
  cliInspect,
  dockerSkipReason,
  eventually,
  readSandbox,
  taskSpec,
  testAgentId,
  testContainerizer,
} from '../helpers/docker.js';

const run = promisify(execFile);
const skip = await dockerSkipReason();
const agentId = testAgentId();
const LIMIT = { timeout: 60_000 };
/** Any port: it is bound inside the stand-in's namespace, not on the engine host. */
const PORT = 31_555;

describe('DockerContainerizer with --docker_host_network container:<id>', { skip }, () => {
  const standInName = `meso-agent-stand-in-${randomUUID().slice(0, 8)}`;
  let standInId: string | undefined;

  after(async () => {
    if (standInId !== undefined) await run('docker', ['rm', '-f', standInId]).catch(() => undefined);
    await cleanUp(agentId);
  });

  it("runs a HOST task in the stand-in's network namespace", LIMIT, async () => {
    const { stdout } = await run('docker', ['run', '-d', '--name', standInName, BUSYBOX, 'sleep', '600']);
    standInId = stdout.trim();
    const containerizer = testContainerizer({ hostNetwork: `container:${standInId}` });
    const spec = await taskSpec(agentId, {
      command: `mkdir -p /www && echo hello-from-task > /www/index.html && exec httpd -f -p ${PORT} -h /www`,
      container: { type: 'DOCKER', docker: { image: BUSYBOX, network: 'HOST' }, hostname: 'ignored' },
      ports: [PORT],
      env: { PORT0: String(PORT) },
    });
    assert.equal(await containerizer.launch(spec), 'launched');
    try {
      const { HostConfig } = await cliInspect(containerName(spec));
      assert.equal(HostConfig['NetworkMode'], `container:${standInId}`);
      const body = await eventually(
        'the task answering inside the stand-in',
        async () => {
          const { stdout: page } = await run('docker', [
            'exec',
            standInName,
            'wget',
            '-qO-',
            `http://127.0.0.1:${PORT}/`,
          ]);
          return page;
        },
        20_000,
      );
      assert.equal(body, 'hello-from-task\n');
    } finally {
      await containerizer.kill(spec.containerId, 0);
    }
    const termination = await containerizer.wait(spec.containerId);
    assert.equal(termination?.reason, 'killed', await readSandbox(spec, 'stderr'));
  });

  for (const [what, cutOff, expected] of [
    ['restarted', ['restart', '-t', '0'], /was restarted after the task started/],
    ['removed', ['rm', '-f'], /is gone/],
  ] as const) {
    it(
      `on recovery, stops a HOST task whose namespace owner was ${what} and reports why`,
      LIMIT,
      async () => {
        const { stdout } = await run('docker', ['run', '-d', BUSYBOX, 'sleep', '600']);
        const owner = stdout.trim();
        try {
          const spec = await taskSpec(agentId, {
            command: 'sleep 600',
            container: { type: 'DOCKER', docker: { image: BUSYBOX, network: 'HOST' } },
          });
          assert.equal(
            await testContainerizer({ hostNetwork: `container:${owner}` }).launch(spec),
            'launched',
          );
          const known = new Set([spec.containerId]);
          const unchanged = await testContainerizer({ hostNetwork: `container:${owner}` }).recover(
            agentId,
            known,
          );
          assert.deepEqual(
            unchanged.recovered,
            [{ containerId: spec.containerId }],
            'adopted while the owner lives',
          );

          await run('docker', [...cutOff, owner]);
          const summary = await testContainerizer().recover(agentId, known);
          const [recovered] = summary.recovered;
          assert.equal(recovered?.containerId, spec.containerId);
          assert.equal(recovered?.termination?.reason, 'lost');
          assert.match(recovered?.termination?.message ?? '', expected);
          await assert.rejects(cliInspect(containerName(spec)), 'the stopped task container is removed');
        } finally {
          await run('docker', ['rm', '-f', owner]).catch(() => undefined);
        }
      },
    );
  }
});
