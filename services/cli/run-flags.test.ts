import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOptionsFromFlags } from './run-flags.js';

describe('runOptionsFromFlags', () => {
  it('applies defaults and converts units', () => {
    const options = runOptionsFromFlags({ master: 'm1:5050', user: 'alice', timeout: '2mins' }, [
      'echo',
      'hi',
    ]);
    assert.deepEqual(options, {
      master: 'http://m1:5050',
      cpus: 0.1,
      memMiB: 32,
      name: 'meso-run',
      role: '*',
      user: 'alice',
      command: ['echo', 'hi'],
      // 2 minutes
      timeoutMs: 120_000,
    });
  });

  it('names the bad flag', () => {
    const cases = [
      { flags: { cpus: '0' }, error: /--cpus must be a positive number; received '0'/ },
      { flags: { mem: 'lots' }, error: /--mem must be a positive number/ },
      { flags: { master: 'zk://zk1:2181/mesos' }, error: /--master must look like http/ },
      { flags: { timeout: 'soon' }, error: /--timeout:/ },
    ];
    for (const { flags, error } of cases) assert.throws(() => runOptionsFromFlags(flags, ['true']), error);
    assert.throws(() => runOptionsFromFlags({}, []), /a command to run is required/);
  });
});
