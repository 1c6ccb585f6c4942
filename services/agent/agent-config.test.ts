import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectResources, type MachineInfo, parseAttributes, resolveAgentConfig } from './agent-config.js';

const GiB = 1024 ** 3;
const machine = (overrides: Partial<MachineInfo> = {}): MachineInfo => ({
  cpuCount: 8,
  memTotalBytes: 16 * GiB,
  diskTotalBytes: 100 * GiB,
  hostname: 'node-1',
  primaryIpv4: '10.0.0.7',
  ...overrides,
});

describe('parseAttributes', () => {
  it('types values as Mesos does: ranges in brackets, numbers scalar, the rest text', () => {
    assert.deepEqual(parseAttributes('rack:r1;zone:a;level:10;weight:0.5;slots:[1-4,8-9]'), [
      { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
      { name: 'zone', type: 'TEXT', text: { value: 'a' } },
      { name: 'level', type: 'SCALAR', scalar: { value: 10 } },
      { name: 'weight', type: 'SCALAR', scalar: { value: 0.5 } },
      {
        name: 'slots',
        type: 'RANGES',
        ranges: {
          range: [
            { begin: 1, end: 4 },
            { begin: 8, end: 9 },
          ],
        },
      },
    ]);
  });

  it('keeps everything after the first colon as the value and tolerates blanks', () => {
    assert.deepEqual(parseAttributes(' host:a:b ; ;os:linux-5.10 '), [
      { name: 'host', type: 'TEXT', text: { value: 'a:b' } },
      { name: 'os', type: 'TEXT', text: { value: 'linux-5.10' } },
    ]);
  });

  for (const [text, message] of [
    ['rack', /'rack' is not of the form name:value/],
    [':r1', /not of the form/],
    ['rack:', /not of the form/],
    ['zones:{a,b}', /set value/],
    ['slots:[4-1]', /malformed range list '\[4-1\]'/],
  ] as const) {
    it(`rejects '${text}'`, () => assert.throws(() => parseAttributes(text), message));
  }
});

describe('detectResources', () => {
  it('detects every kind the flag leaves out', () => {
    // mem: 16 GiB − 1 GiB = 15360 MiB; disk: 100 GiB − 5 GiB = 97280 MiB.
    const r = detectResources(undefined, machine());
    assert.equal(r.toString(), 'cpus:8;mem:15360;disk:97280;ports:[31000-32000]');
  });

  it('halves small memory and disk instead of subtracting', () => {
    // mem: 1.5 GiB < 2 GiB → 768 MiB; disk: 8 GiB < 10 GiB → 4096 MiB; cpus never below 1.
    const r = detectResources(
      undefined,
      machine({ cpuCount: 0, memTotalBytes: 1.5 * GiB, diskTotalBytes: 8 * GiB }),
    );
    assert.equal(r.scalar('cpus'), 1);
    assert.equal(r.scalar('mem'), 768);
    assert.equal(r.scalar('disk'), 4096);
  });

  it('keeps given kinds, including reserved ones, and detects only the rest', () => {
    const r = detectResources('cpus(web):2;mem:1024;ports:[8000-8010]', machine());
    assert.equal(r.scalar('cpus'), 2);
    assert.equal(r.scalar('mem'), 1024);
    assert.equal(r.scalar('disk'), 97280);
    assert.deepEqual(r.rangesOf('ports'), [{ begin: 8000, end: 8010 }]);
  });
});

describe('resolveAgentConfig', () => {
  it('fills defaults, advertises the primary address when bound to all interfaces, and maps mesos to process', () => {
    const c = resolveAgentConfig(
      { masterUrl: 'http://m:5050', workDir: '/var/lib/meso', containerizers: 'docker,mesos' },
      machine(),
    );
    assert.equal(c.port, 5051);
    assert.equal(c.advertiseIp, '10.0.0.7');
    assert.equal(c.hostname, 'node-1');
    assert.deepEqual(c.containerizers, ['docker', 'process']);
    assert.equal(c.statusUpdateRetryMinMs, 1000);
    assert.equal(c.flags.executor_shutdown_grace_period, '5secs');
    assert.ok(Object.isFrozen(c));
  });

  it('carries the docker and executor settings, with Mesos flag names for /flags', () => {
    const defaults = resolveAgentConfig({ masterUrl: 'm:5050', workDir: '/w' }, machine());
    assert.equal(defaults.dockerStopTimeoutMs, 3000);
    assert.equal(defaults.executorRegistrationTimeoutMs, 60_000);
    assert.deepEqual(defaults.dockerVolumeAllowList, []);
    const c = resolveAgentConfig(
      {
        masterUrl: 'm:5050',
        workDir: '/w',
        dockerSocket: '/run/docker.sock',
        dockerDefaultImage: 'busybox:1',
        dockerVolumeAllowList: '/srv/data, /mnt/shared',
        dockerStopTimeoutMs: 10_000,
        dockerHostNetwork: ' container:agent-net ',
      },
      machine(),
    );
    assert.equal(defaults.flags.docker_host_network, 'host');
    assert.equal(c.dockerHostNetwork, 'container:agent-net');
    assert.equal(c.flags.docker_host_network, 'container:agent-net');
    assert.throws(
      () => resolveAgentConfig({ masterUrl: 'm', workDir: '/w', dockerHostNetwork: 'bridge' }, machine()),
      /dockerHostNetwork: --docker_host_network must be 'host' or 'container:<name-or-id\|self>', not 'bridge'/,
    );
    assert.deepEqual(c.dockerVolumeAllowList, ['/srv/data', '/mnt/shared']);
    assert.equal(c.flags.docker_socket, '/run/docker.sock');
    assert.equal(c.flags.docker_default_image, 'busybox:1');
    assert.equal(c.flags.docker_stop_timeout, '10secs');
    assert.throws(
      () => resolveAgentConfig({ masterUrl: 'm', workDir: '/w', dockerVolumeAllowList: 'data' }, machine()),
      /dockerVolumeAllowList\[0\]: must be an absolute path/,
    );
  });

  it('advertises the bound address when it is a specific one', () => {
    const c = resolveAgentConfig({ masterUrl: 'm:5050', workDir: '/w', ip: '127.0.0.1' }, machine());
    assert.equal(c.advertiseIp, '127.0.0.1');
  });

  it('names the offending field', () => {
    assert.throws(
      () => resolveAgentConfig({ masterUrl: 'm:5050', workDir: '/w', containerizers: ['lxc'] }, machine()),
      /invalid agent configuration: containerizers\[0\]/,
    );
    assert.throws(
      () =>
        resolveAgentConfig(
          { masterUrl: 'm', workDir: '/w', statusUpdateRetryMinMs: 10, statusUpdateRetryMaxMs: 5 },
          machine(),
        ),
      /statusUpdateRetryMaxMs must not be below/,
    );
  });
});
