/**
 * Agent restart against a real engine: an agent process launches containers and is SIGKILLed;
 * a new containerizer instance adopts the running one (its output resumes where the sandbox file
 * ends), reports the one that exited meanwhile with its real exit code, and destroys the orphan.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ContainerId } from '../../services/core/ids.js';
import { containerName } from '../../services/agent/containerizer/docker/labels.js';
import {
  cleanUp,
  dockerSkipReason,
  eventually,
  readSandbox,
  spawnAgentProcess,
  taskSpec,
  testAgentId,
  testContainerizer,
  testDockerApi,
} from '../helpers/docker.js';

const skip = await dockerSkipReason();
const agentId = testAgentId();
/** A hung engine call fails its test instead of stalling the run. */
const LIMIT = { timeout: 30_000 };

describe('DockerContainerizer.recover', { skip }, () => {
  after(() => cleanUp(agentId));

  it(
    'adopts running containers, reports exits that happened while down and destroys orphans',
    LIMIT,
    async () => {
      const api = testDockerApi();
      const running = await taskSpec(agentId, { command: 'echo before; sleep 4; echo after; exit 5' });
      const exited = await taskSpec(agentId, { command: 'sleep 1; echo while-down; exit 7' });
      const orphan = await taskSpec(agentId, { command: 'sleep 60' });

      const agent = await spawnAgentProcess([running, exited, orphan]);
      // Let the first agent copy some output, so the second has to resume mid-stream.
      await eventually('output before the crash', async () =>
        (await readSandbox(running, 'stdout')) === 'before\n' ? true : undefined,
      );
      agent.kill('SIGKILL');
      await eventually(
        'the agent process to die',
        async () => agent.exitCode ?? agent.signalCode ?? undefined,
      );
      await eventually('the second container to exit while no agent watches', async () => {
        const state = await api.inspect(containerName(exited));
        return state?.running === false ? state : undefined;
      });

      const restarted = testContainerizer();
      const known = new Set<ContainerId>([running.containerId, exited.containerId]);
      const summary = await restarted.recover(agentId, known);

      assert.deepEqual(summary.orphansDestroyed, [orphan.containerId]);
      assert.equal(await api.inspect(containerName(orphan)), undefined);
      const byId = new Map(summary.recovered.map((r) => [r.containerId, r.termination]));
      assert.equal(byId.size, 2);
      assert.equal(byId.get(running.containerId), undefined, 'still running: adopted, no termination yet');
      assert.equal(byId.get(exited.containerId)?.exitCode, 7);
      assert.equal(await readSandbox(exited, 'stdout'), 'while-down\n');
      assert.equal(await api.inspect(containerName(exited)), undefined, 'removed once reported');

      const adoptedEnd = await restarted.wait(running.containerId);
      assert.equal(adoptedEnd?.exitCode, 5);
      assert.equal(await readSandbox(running, 'stdout'), 'before\nafter\n');
      assert.deepEqual(await restarted.wait(exited.containerId), byId.get(exited.containerId));
    },
  );

  it('answers an empty summary when the agent owns no containers', LIMIT, async () => {
    const summary = await testContainerizer().recover(testAgentId(), new Set());
    assert.deepEqual(summary, { recovered: [], orphansDestroyed: [] });
  });
});
