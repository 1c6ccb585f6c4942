import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, ContainerId, FrameworkId, TaskId } from '../../../core/ids.js';
import type { ContainerInfo } from '../../../core/v1/tasks.js';
import type { ContainerSpec } from '../containerizer.js';
import { buildRunSpec, type RunPolicy } from './run-spec.js';

const policy: RunPolicy = {
  volumeAllowList: ['/srv/data'],
  pidsLimit: 100,
  logMaxBytes: 1024,
  allowPrivileged: false,
};

function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    containerId: 'c/1' as ContainerId,
    agentId: 'agent-1' as AgentId,
    frameworkId: 'fw' as FrameworkId,
    taskId: 'task' as TaskId,
    command: { shell: true, value: 'echo hi' },
    container: { type: 'DOCKER', docker: { image: 'img:1' } },
    limits: { cpus: 1.5, memMiB: 128, diskMiB: 0 },
    ports: [31000, 31001],
    sandboxDir: '/sandbox',
    env: { PORT0: '31000' },
    ...overrides,
  };
}

const docker = (
  fields: NonNullable<ContainerInfo['docker']>,
  extra: Partial<ContainerInfo> = {},
): ContainerInfo => ({
  type: 'DOCKER',
  docker: fields,
  ...extra,
});

describe('buildRunSpec', () => {
  it('maps limits: quota = cpus × 100000 µs, shares = cpus × 1024, swap = memory', () => {
    const run = buildRunSpec(spec(), policy);
    // 1.5 cpus → 150000 µs per 100000 µs period, 1536 shares; 128 MiB → 134217728 bytes.
    assert.deepEqual(run.cpu, { quotaUs: 150_000, periodUs: 100_000, shares: 1536 });
    assert.equal(run.memoryBytes, 134_217_728);
    assert.equal(run.pidsLimit, 100);
    assert.equal(run.name, 'meso-agent-1-c_1');
    assert.equal(run.labels['meso.container_id'], 'c/1');
  });

  it('leaves cpu and memory unlimited when the task asks for none', () => {
    const run = buildRunSpec(spec({ limits: { cpus: 0, memMiB: 0, diskMiB: 0 } }), policy);
    assert.equal(run.cpu, undefined);
    assert.equal(run.memoryBytes, undefined);
  });

  it('runs shell commands under /bin/sh -c and others under the image entrypoint', () => {
    assert.deepEqual(buildRunSpec(spec(), policy).entrypoint, ['/bin/sh', '-c']);
    const direct = buildRunSpec(
      spec({ command: { shell: false, value: '/app', arguments: ['--x'] } }),
      policy,
    );
    assert.equal(direct.entrypoint, undefined);
    assert.deepEqual(direct.cmd, ['/app', '--x']);
  });

  it("lets the agent's environment win over CommandInfo's", () => {
    const command = {
      shell: true,
      value: 'env',
      environment: { variables: [{ name: 'PORT0', value: '1' }] },
    };
    assert.equal(buildRunSpec(spec({ command }), policy).env['PORT0'], '31000');
  });

  it('defaults to the host network, as Mesos does', () => {
    assert.equal(buildRunSpec(spec(), policy).networkMode, 'host');
    assert.deepEqual(buildRunSpec(spec(), policy).portBindings, []);
  });

  it('publishes each host port to the same container port on BRIDGE without mappings', () => {
    const run = buildRunSpec(spec({ container: docker({ image: 'i', network: 'BRIDGE' }) }), policy);
    assert.deepEqual(
      run.portBindings.map((p) => [p.hostPort, p.containerPort]),
      [
        [31000, 31000],
        [31001, 31001],
      ],
    );
  });

  describe('with --docker_host_network container:<id>', () => {
    const joined: RunPolicy = { ...policy, hostNetwork: 'container:agent-1' };

    it("runs HOST tasks in that container's namespace, without hostname or published ports", () => {
      const container = docker({ image: 'i', network: 'HOST' }, { hostname: 'task-host' });
      const run = buildRunSpec(spec({ container }), joined);
      assert.equal(run.networkMode, 'container:agent-1');
      assert.equal(run.hostname, undefined);
      assert.deepEqual(run.portBindings, []);
    });

    it('applies to tasks that name no network (HOST by default) and keeps their port env', () => {
      const run = buildRunSpec(spec(), joined);
      assert.equal(run.networkMode, 'container:agent-1');
      assert.equal(run.env['PORT0'], '31000');
    });

    it('leaves BRIDGE, NONE and USER tasks as they ask', () => {
      const bridge = buildRunSpec(
        spec({ container: docker({ image: 'i', network: 'BRIDGE' }, { hostname: 'h' }) }),
        joined,
      );
      assert.equal(bridge.networkMode, 'bridge');
      assert.equal(bridge.hostname, 'h');
      assert.equal(bridge.portBindings.length, 2);
      assert.equal(
        buildRunSpec(spec({ container: docker({ image: 'i', network: 'NONE' }) }), joined).networkMode,
        'none',
      );
      const user = docker({ image: 'i', network: 'USER' }, { network_infos: [{ name: 'backend' }] });
      assert.equal(buildRunSpec(spec({ container: user }), joined).networkMode, 'backend');
    });

    it('still refuses port mappings on a HOST task', () => {
      const container = docker({
        image: 'i',
        network: 'HOST',
        port_mappings: [{ host_port: 31000, container_port: 80 }],
      });
      assert.throws(() => buildRunSpec(spec({ container }), joined), {
        code: 'CONTAINER_LAUNCH_FAILED',
        message: /HOST/,
      });
    });

    it("keeps the task's hostname with hostNetwork 'host'", () => {
      const container = docker({ image: 'i', network: 'HOST' }, { hostname: 'task-host' });
      const run = buildRunSpec(spec({ container }), { ...policy, hostNetwork: 'host' });
      assert.equal(run.networkMode, 'host');
      assert.equal(run.hostname, 'task-host');
    });
  });

  it('uses the named network for USER', () => {
    const container = docker({ image: 'i', network: 'USER' }, { network_infos: [{ name: 'backend' }] });
    assert.equal(buildRunSpec(spec({ container }), policy).networkMode, 'backend');
  });

  for (const [what, container, message] of [
    [
      'a host port outside the offer',
      docker({ image: 'i', network: 'BRIDGE', port_mappings: [{ host_port: 80, container_port: 80 }] }),
      /host port 80 is not among/,
    ],
    [
      'port mappings on the host network',
      docker({ image: 'i', port_mappings: [{ host_port: 31000, container_port: 80 }] }),
      /need a BRIDGE or USER network/,
    ],
    [
      'a volume escaping the allow-list with ..',
      docker({ image: 'i' }, { volumes: [{ container_path: '/x', host_path: '/srv/data/../../etc' }] }),
      /not allowed for volumes/,
    ],
    [
      'a sibling path sharing the prefix text',
      docker({ image: 'i' }, { volumes: [{ container_path: '/x', host_path: '/srv/database' }] }),
      /not allowed for volumes/,
    ],
    [
      'a sandbox-relative volume',
      docker({ image: 'i' }, { volumes: [{ container_path: '/x', host_path: 'data' }] }),
      /absolute host_path/,
    ],
    ['privileged mode', docker({ image: 'i', privileged: true }), /privileged/],
    ['docker parameters', docker({ image: 'i', parameters: [{ key: 'cap-add', value: 'ALL' }] }), /cap-add/],
  ] as const) {
    it(`refuses ${what} with CONTAINER_LAUNCH_FAILED`, () => {
      assert.throws(() => buildRunSpec(spec({ container }), policy), {
        code: 'CONTAINER_LAUNCH_FAILED',
        message,
      });
    });
  }

  it('accepts a read-only volume under an allowed prefix', () => {
    const container = docker(
      { image: 'i' },
      { volumes: [{ container_path: '/d', host_path: '/srv/data/a', mode: 'RO' }] },
    );
    assert.deepEqual(buildRunSpec(spec({ container }), policy).binds, [
      { hostPath: '/srv/data/a', containerPath: '/d', readOnly: true },
    ]);
  });
});
