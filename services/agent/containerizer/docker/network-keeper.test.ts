import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../log/logger.js';
import { dockerState } from '../../testing/docker-state.js';
import type { DockerContainerState, DockerRunSpec } from './docker-types.js';
import { ensureNetworkKeeper, KEEPER_LABEL, KEEPER_PROJECT_LABEL, keeperRunSpec } from './network-keeper.js';

const agent = dockerState({
  dockerId: 'a1',
  name: 'meso-agent-2',
  running: true,
  image: 'meso/agent:dev',
  networks: ['meso_default'],
  labels: { 'com.docker.compose.project': 'meso' },
});

/** An engine holding `containers` by name; `run` adds a running one at 172.18.0.9. */
function engine(containers: DockerContainerState[]) {
  const calls: string[] = [];
  const runs: DockerRunSpec[] = [];
  return {
    calls,
    runs,
    inspect: (ref: string) => {
      calls.push(`inspect ${ref}`);
      return Promise.resolve(containers.find((c) => c.name === ref || c.dockerId === ref));
    },
    run: (spec: DockerRunSpec) => {
      runs.push(spec);
      containers.push(
        dockerState({ dockerId: 'k2', name: spec.name, running: true, ipAddress: '172.18.0.9' }),
      );
      return Promise.resolve('k2');
    },
    remove: (id: string) => {
      calls.push(`remove ${id}`);
      return Promise.resolve();
    },
  };
}

describe('network keeper', () => {
  it("runs the agent's image on the agent's network, forwarding the agent port to it by name", () => {
    const spec = keeperRunSpec(agent, 5051);
    assert.equal(spec.name, 'meso-agent-2-net');
    assert.equal(spec.image, 'meso/agent:dev');
    assert.equal(spec.networkMode, 'meso_default');
    assert.deepEqual(spec.entrypoint, [
      'meso',
      'network-keeper',
      '--port',
      '5051',
      '--to',
      'meso-agent-2:5051',
    ]);
    assert.deepEqual(spec.labels, { [KEEPER_LABEL]: 'meso-agent-2', [KEEPER_PROJECT_LABEL]: 'meso' });
    assert.deepEqual(spec.portBindings, []);
    assert.throws(() => keeperRunSpec({ ...agent, networks: [] }, 5051), /is on no network/);
  });

  it('keeps a running keeper, replaces a stopped one, starts one where there is none', async () => {
    const running = dockerState({ dockerId: 'k1', name: 'meso-agent-2-net', running: true });
    const kept = engine([running]);
    assert.equal(await ensureNetworkKeeper(kept, agent, 5051, silentLogger), running);
    assert.deepEqual(kept.runs, []);

    const stopped = engine([{ ...running, running: false }]);
    const replaced = await ensureNetworkKeeper(stopped, agent, 5051, silentLogger);
    assert.equal(replaced.ipAddress, '172.18.0.9');
    assert.ok(stopped.calls.includes('remove k1'));
    assert.equal(stopped.runs.length, 1);

    const none = engine([]);
    assert.equal((await ensureNetworkKeeper(none, agent, 5051, silentLogger)).dockerId, 'k2');
    assert.ok(!none.calls.some((c) => c.startsWith('remove')));
  });
});
