import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerState } from '../../testing/docker-state.js';
import { lostNetworkNamespace, terminationOf } from './termination.js';

describe('terminationOf', () => {
  const state = dockerState();

  it('reports a plain exit with its code, even a code above 128', () => {
    assert.deepEqual(terminationOf({ ...state, exitCode: 130 }, undefined), {
      exitCode: 130,
      message: 'container exited with code 130',
    });
  });

  it('reads 128 + N as signal N only when a signal was sent', () => {
    const killed = terminationOf({ ...state, exitCode: 137 }, 2000);
    assert.equal(killed.reason, 'killed');
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(killed.exitCode, undefined);
    assert.equal(terminationOf({ ...state, exitCode: 137, oomKilled: true }, undefined).reason, 'oom');
  });

  it('reports a container the engine no longer knows as lost', () => {
    assert.equal(terminationOf(undefined, undefined).reason, 'lost');
  });

  it('tells a HOST task whose network namespace owner is gone or restarted', () => {
    const task = { ...state, running: true, networkMode: `container:${'a'.repeat(64)}`, startedAtMs: 2000 };
    const owner = { ...state, running: true, startedAtMs: 1000 };
    assert.equal(lostNetworkNamespace(task, owner), undefined);
    assert.match(
      lostNetworkNamespace(task, undefined) ?? '',
      /namespace of container aaaaaaaaaaaa .*is gone/,
    );
    assert.match(lostNetworkNamespace(task, { ...owner, running: false }) ?? '', /is not running/);
    assert.match(
      lostNetworkNamespace(task, { ...owner, startedAtMs: 3000 }) ?? '',
      /restarted after the task started/,
    );
    assert.equal(lostNetworkNamespace({ ...task, networkMode: 'bridge' }, undefined), undefined);
  });
});
