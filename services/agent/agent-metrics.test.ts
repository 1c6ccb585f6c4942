import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AgentId, ContainerId } from '../core/ids.js';
import { AgentMetrics } from '../metrics/index.js';
import { AgentInstrumentation } from './agent-metrics.js';
import type {
  Containerizer,
  ContainerSpec,
  LaunchOutcome,
  RecoverySummary,
} from './containerizer/containerizer.js';
import type { DockerApi } from './containerizer/docker/index.js';

const a = AgentMetrics;
const unused = (): never => assert.fail('not used by this test');

/** A containerizer whose launches take 1.5 s on `clock`, then resolve or reject as told. */
function fakeContainerizer(
  clock: ManualClock,
  outcome: LaunchOutcome | Error,
  recovery?: RecoverySummary,
): Containerizer {
  return {
    name: 'fake',
    supports: () => true,
    recover: () =>
      recovery === undefined ? Promise.reject(new Error('engine down')) : Promise.resolve(recovery),
    launch: async () => {
      clock.advance(1500);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    wait: unused,
    kill: unused,
    usage: unused,
  };
}

/** The engine port with only `ensureImage` doing something: progress means a pull. */
function fakeDockerApi(clock: ManualClock, pull: 'present' | 'pulled' | 'fails'): DockerApi {
  return {
    ensureImage: async (_image, _forcePull, onProgress) => {
      if (pull === 'fails') throw new Error('manifest unknown');
      if (pull === 'pulled') {
        onProgress?.('layer: Downloading');
        clock.advance(4000);
      }
    },
    version: unused,
    run: unused,
    waitExit: unused,
    inspect: unused,
    stop: unused,
    kill: unused,
    remove: unused,
    listByLabels: unused,
    stats: unused,
    followLogs: unused,
    exec: unused,
  };
}

describe('AgentInstrumentation', () => {
  it('times launches by containerizer and outcome', async () => {
    const clock = new ManualClock();
    const metrics = new AgentInstrumentation({ clock });
    const spec = {} as ContainerSpec;
    await metrics.instrument(fakeContainerizer(clock, 'launched')).launch(spec);
    await assert.rejects(metrics.instrument(fakeContainerizer(clock, new Error('no image'))).launch(spec));
    const readings = await metrics.registry.read();
    assert.equal(
      readings.count(a.containerLaunchDurationSeconds, { containerizer: 'fake', outcome: 'launched' }),
      1,
    );
    assert.equal(readings.count(a.containerLaunchDurationSeconds, { outcome: 'failed' }), 1);
  });

  it('counts recovery results, and recoveries that failed', async () => {
    const clock = new ManualClock();
    const metrics = new AgentInstrumentation({ clock });
    const recovery: RecoverySummary = {
      recovered: [
        { containerId: 'c1' as ContainerId },
        { containerId: 'c2' as ContainerId, termination: { exitCode: 0, message: 'exited' } },
      ],
      orphansDestroyed: ['c3' as ContainerId, 'c4' as ContainerId],
    };
    await metrics
      .instrument(fakeContainerizer(clock, 'launched', recovery))
      .recover('a' as AgentId, new Set());
    await assert.rejects(
      metrics.instrument(fakeContainerizer(clock, 'launched')).recover('a' as AgentId, new Set()),
    );
    const readings = await metrics.registry.read();
    assert.equal(readings.sum(a.recoveredContainersTotal, { result: 'adopted' }), 1);
    assert.equal(readings.sum(a.recoveredContainersTotal, { result: 'exited' }), 1);
    assert.equal(readings.sum(a.recoveredContainersTotal, { result: 'orphan_destroyed' }), 2);
    assert.equal(readings.sum(a.recoveryFailuresTotal, { containerizer: 'fake' }), 1);
  });

  it('counts and times image pulls, but not images already present', async () => {
    const clock = new ManualClock();
    const metrics = new AgentInstrumentation({ clock });
    await metrics.instrumentDockerApi(fakeDockerApi(clock, 'present')).ensureImage('busybox', false);
    await metrics.instrumentDockerApi(fakeDockerApi(clock, 'pulled')).ensureImage('busybox', false);
    await assert.rejects(
      metrics.instrumentDockerApi(fakeDockerApi(clock, 'fails')).ensureImage('nope', false),
    );
    const readings = await metrics.registry.read();
    assert.equal(readings.sum(a.imagePullsTotal, { outcome: 'succeeded' }), 1);
    assert.equal(readings.sum(a.imagePullsTotal, { outcome: 'failed' }), 1);
    assert.deepEqual(readings.recent(a.imagePullDurationSeconds), [4]);
  });
});
