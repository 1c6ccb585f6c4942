import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOptionsFromFlags } from './run-flags.js';
import { dockerContainer } from './run.js';

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
      { flags: { network: 'bridge' }, error: /--network bridge needs --image/ },
      { flags: { image: 'busybox', network: ' ' }, error: /--network must name a network/ },
    ];
    for (const { flags, error } of cases) assert.throws(() => runOptionsFromFlags(flags, ['true']), error);
    assert.throws(() => runOptionsFromFlags({}, []), /a command to run is required/);
  });

  it("maps --network to the task's ContainerInfo", () => {
    assert.equal(runOptionsFromFlags({ image: 'busybox', network: 'bridge' }, ['true']).network, 'bridge');
    assert.deepEqual(dockerContainer('busybox', 'host'), {
      type: 'DOCKER',
      docker: { image: 'busybox', network: 'HOST' },
    });
    assert.equal(dockerContainer('busybox', 'bridge').docker?.network, 'BRIDGE');
    assert.deepEqual(dockerContainer('busybox', 'backend'), {
      type: 'DOCKER',
      docker: { image: 'busybox', network: 'USER' },
      network_infos: [{ name: 'backend' }],
    });
    assert.equal(dockerContainer('busybox', 'constructor').docker?.network, 'USER');
  });
});
