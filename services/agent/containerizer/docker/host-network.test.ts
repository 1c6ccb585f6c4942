import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger, type Logger } from '../../../log/logger.js';
import { dockerState } from '../../testing/docker-state.js';
import { parseHostNetwork, resolveHostNetwork } from './host-network.js';
import {
  containerIdFromCgroup,
  containerIdFromMountinfo,
  detectSelfContainer,
  selfContainer,
  type SelfProbe,
} from './self-container.js';

const ID = 'a3f1c0d2e4b5968778695a4b3c2d1e0f9a8b7c6d5e4f30211203f4e5d6c7b8a9';
const OTHER = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** A container's mountinfo: overlay root, then the engine's per-container files. */
const MOUNTINFO_IN_CONTAINER = [
  '1374 1163 0:226 / / rw,relatime master:471 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X:/var/lib/docker/overlay2/l/Y,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work',
  '1375 1374 0:229 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  `1388 1374 259:2 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/nvme0n1p2 rw`,
  `1389 1374 259:2 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/nvme0n1p2 rw`,
  `1390 1374 259:2 /var/lib/docker/containers/${ID}/hosts /etc/hosts rw,relatime - ext4 /dev/nvme0n1p2 rw`,
].join('\n');

/** The host's own mountinfo, where docker's directories appear only as mount points of other paths. */
const MOUNTINFO_ON_HOST = [
  '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '300 22 0:50 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw',
].join('\n');

const CGROUP_V1 = [
  '12:pids:/docker/' + OTHER,
  '11:memory:/docker/' + OTHER,
  '1:name=systemd:/docker/' + OTHER,
].join('\n');
const CGROUP_V2 = '0::/\n';

function probe(files: Record<string, string>, dockerenv = false, host = 'a3f1c0d2e4b5'): SelfProbe {
  return {
    readText: (path) => Promise.resolve(files[path]),
    exists: (path) => Promise.resolve(path === '/.dockerenv' && dockerenv),
    hostname: () => host,
  };
}

describe('docker host network self-detection', () => {
  it('finds the container id in mountinfo', () => {
    assert.equal(containerIdFromMountinfo(MOUNTINFO_IN_CONTAINER), ID);
    assert.equal(containerIdFromMountinfo(MOUNTINFO_ON_HOST), undefined);
    assert.equal(containerIdFromMountinfo(''), undefined);
  });

  it('finds the container id in a cgroup v1 file, not in a v2 one', () => {
    assert.equal(containerIdFromCgroup(CGROUP_V1), OTHER);
    assert.equal(containerIdFromCgroup('0::/system.slice/docker-' + OTHER + '.scope\n'), undefined);
    assert.equal(containerIdFromCgroup(CGROUP_V2), undefined);
  });

  it('prefers mountinfo, then cgroup, then the hostname inside a container', async () => {
    const both = { '/proc/self/mountinfo': MOUNTINFO_IN_CONTAINER, '/proc/self/cgroup': CGROUP_V1 };
    assert.equal(await detectSelfContainer(probe(both)), ID);
    const cgroupOnly = { '/proc/self/mountinfo': MOUNTINFO_ON_HOST, '/proc/self/cgroup': CGROUP_V1 };
    assert.equal(await detectSelfContainer(probe(cgroupOnly)), OTHER);
    const neither = { '/proc/self/mountinfo': MOUNTINFO_ON_HOST, '/proc/self/cgroup': CGROUP_V2 };
    assert.equal(await detectSelfContainer(probe(neither, true, 'agent-box')), 'agent-box');
    assert.equal(await detectSelfContainer(probe(neither, false)), undefined);
    assert.equal(await detectSelfContainer(probe({}, false)), undefined);
  });

  it('resolves container:self to the agent container, else host with a warning', async () => {
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const inside = probe({ '/proc/self/mountinfo': MOUNTINFO_IN_CONTAINER });
    assert.equal(await resolveHostNetwork('container:self', log, inside), `container:${ID}`);
    assert.deepEqual(warnings, []);
    assert.equal(await resolveHostNetwork('container:self', log, probe({})), 'host');
    assert.equal(warnings.length, 1);
    assert.equal(await resolveHostNetwork('container:other', log, probe({})), 'container:other');
    assert.equal(await resolveHostNetwork('host', log, inside), 'host');
  });

  it("names the agent's own container through the engine", async () => {
    const engine = {
      inspect: (id: string) =>
        Promise.resolve(
          id === ID ? dockerState({ dockerId: ID, name: 'meso-agent-2', running: true }) : undefined,
        ),
    };
    assert.equal(
      (await selfContainer(engine, probe({ '/proc/self/mountinfo': MOUNTINFO_IN_CONTAINER })))?.name,
      'meso-agent-2',
    );
    assert.equal(await selfContainer(engine, probe({})), undefined);
    const unknown = probe({ '/proc/self/cgroup': CGROUP_V1 });
    await assert.rejects(selfContainer(engine, unknown), /does not know this agent's container/);
  });

  it('accepts host and container:<x> only', () => {
    assert.equal(parseHostNetwork('host'), 'host');
    assert.equal(parseHostNetwork(' container:self '), 'container:self');
    assert.equal(parseHostNetwork('container:abc'), 'container:abc');
    for (const bad of ['', 'bridge', 'container:', 'HOST']) assert.throws(() => parseHostNetwork(bad));
  });
});
