import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminationOf } from './termination.js';

describe('terminationOf', () => {
  const state = {
    dockerId: 'd',
    running: false,
    exitCode: 0,
    oomKilled: false,
    error: '',
    labels: {},
    cpusLimit: 0,
  };

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
});
