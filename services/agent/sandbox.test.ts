import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import {
  executorEnvironment,
  executorSandboxDir,
  groupTaskSandboxDir,
  taskEnvironment,
  taskPorts,
} from './sandbox.js';

const ids = {
  agentId: 'M-S0' as AgentId,
  frameworkId: 'M-0000' as FrameworkId,
  executorId: 'web-1' as ExecutorId,
  containerId: 'c-1' as ContainerId,
};

describe('sandbox paths', () => {
  it("follow Mesos's layout", () => {
    const dir = executorSandboxDir('/var/lib/meso', ids);
    assert.equal(dir, '/var/lib/meso/slaves/M-S0/frameworks/M-0000/executors/web-1/runs/c-1');
    assert.equal(groupTaskSandboxDir(dir, 'db' as TaskId), `${dir}/tasks/db`);
  });

  for (const bad of ['..', '.', 'a/b', '']) {
    it(`refuse the id '${bad}'`, () =>
      assert.throws(
        () => executorSandboxDir('/w', { ...ids, executorId: bad as ExecutorId }),
        /cannot be used as a sandbox/,
      ));
  }
});

describe('taskEnvironment', () => {
  it('gives Mesos ids, sandbox and every port of the task', () => {
    const ports = taskPorts(Resources.parse('ports:[31005-31006,31000-31000]'));
    assert.deepEqual(ports, [31000, 31005, 31006]);
    const env = taskEnvironment({
      ...ids,
      taskId: 'web-1' as TaskId,
      sandboxDir: '/sb',
      ports,
      agentEndpoint: '10.0.0.1:5051',
    });
    assert.deepEqual(env, {
      MESOS_TASK_ID: 'web-1',
      MESOS_FRAMEWORK_ID: 'M-0000',
      MESOS_EXECUTOR_ID: 'web-1',
      MESOS_AGENT_ID: 'M-S0',
      MESOS_SLAVE_ID: 'M-S0',
      MESOS_AGENT_ENDPOINT: '10.0.0.1:5051',
      MESOS_SLAVE_PID: 'slave(1)@10.0.0.1:5051',
      MESOS_DIRECTORY: '/sb',
      MESOS_SANDBOX: '/sb',
      PORT0: '31000',
      PORT1: '31005',
      PORT2: '31006',
      PORT: '31000',
      PORTS: '31000,31005,31006',
    });
  });
});

describe('executorEnvironment', () => {
  const input = {
    agentId: 'S1' as AgentId,
    frameworkId: 'fw' as FrameworkId,
    executorId: 'ex' as ExecutorId,
    sandboxDir: '/work/sandbox',
    agentEndpoint: '10.0.0.5:5051',
    shutdownGracePeriodMs: 5000,
    subscriptionBackoffMaxMs: 2000,
  };

  it('tells a custom executor how to reach the agent, as Mesos does', () => {
    const env = executorEnvironment({ ...input, checkpoint: true });
    assert.equal(env.MESOS_AGENT_ENDPOINT, '10.0.0.5:5051');
    assert.equal(env.MESOS_SLAVE_PID, 'slave(1)@10.0.0.5:5051');
    assert.equal(env.MESOS_FRAMEWORK_ID, 'fw');
    assert.equal(env.MESOS_EXECUTOR_ID, 'ex');
    assert.equal(env.MESOS_SANDBOX, '/work/sandbox');
    assert.equal(env.MESOS_CHECKPOINT, '1');
    assert.equal(env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, '5secs');
    assert.equal(env.MESOS_RECOVERY_TIMEOUT, '15mins');
    assert.equal(env.MESOS_SUBSCRIPTION_BACKOFF_MAX, '2secs');
    assert.equal(env.MESOS_TASK_ID, undefined);
  });

  it('leaves out the recovery settings without checkpointing', () => {
    const env = executorEnvironment({ ...input, checkpoint: false });
    assert.equal(env.MESOS_CHECKPOINT, '0');
    assert.equal(env.MESOS_RECOVERY_TIMEOUT, undefined);
  });
});
