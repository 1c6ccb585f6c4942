/**
 * Unit-test support: an `AgentTasks` (the agent's work without its master connection) on a work
 * dir, a manual clock and the given containerizers, recording the updates it sends.
 */
import type { AgentEvent } from '../../core/agent-protocol.js';
import type { ManualClock } from '../../core/clock.js';
import type { AgentId } from '../../core/ids.js';
import type { FrameworkInfo } from '../../core/v1/cluster.js';
import type { TaskInfo, TaskStatus } from '../../core/v1/tasks.js';
import { silentLogger } from '../../log/logger.js';
import { type AgentConfigInput, resolveAgentConfig } from '../agent-config.js';
import { AgentTasks } from '../agent-tasks.js';
import type { Containerizer } from '../containerizer/containerizer.js';

export const FIXTURE_AGENT_ID = 'S1' as AgentId;

export interface AgentTasksFixture {
  readonly tasks: AgentTasks;
  /** Every status sent to the "master", in order. */
  readonly sent: TaskStatus[];
}

export function agentTasksFixture(
  workDir: string,
  clock: ManualClock,
  containerizers: readonly Containerizer[],
  config: Partial<AgentConfigInput> = {},
): AgentTasksFixture {
  const sent: TaskStatus[] = [];
  const tasks = new AgentTasks({
    config: resolveAgentConfig(
      { masterUrl: 'm:5050', workDir, ...config },
      { cpuCount: 1, memTotalBytes: 0, diskTotalBytes: 0, hostname: 'h', primaryIpv4: undefined },
    ),
    clock,
    log: silentLogger,
    containerizers,
    agentEndpoint: '127.0.0.1:5051',
    agentInfo: () => ({
      hostname: 'h',
      port: 5051,
      resources: [],
      attributes: [],
      id: { value: FIXTURE_AGENT_ID },
    }),
    sendUpdate: (update) => sent.push(update.status),
    sendExecutorMessage: () => undefined,
  });
  return { tasks, sent };
}

export const fixtureFramework = (checkpoint = true): FrameworkInfo => ({
  user: 'u',
  name: 'f',
  id: { value: 'fw' },
  failover_timeout: 0,
  checkpoint,
});

/** RUN_TASK of a command task `id` of `fixtureFramework()`; `extra` adds or replaces TaskInfo fields. */
export const fixtureRunTask = (id: string, extra: Partial<TaskInfo> = {}): AgentEvent => ({
  type: 'RUN_TASK',
  run_task: {
    framework_info: fixtureFramework(),
    task: {
      name: id,
      task_id: { value: id },
      agent_id: { value: FIXTURE_AGENT_ID },
      resources: [],
      command: { value: 'sleep 1000', shell: true },
      ...extra,
    },
  },
});

/** Acknowledges the latest update sent for `taskId` (as its framework would) until `done` holds. */
export const acknowledgeUntil = (
  tasks: AgentTasks,
  sent: readonly TaskStatus[],
  taskId: string,
  done: () => boolean,
): Promise<true> =>
  until(() => {
    const latest = sent.filter((s) => s.task_id.value === taskId).at(-1);
    if (latest?.uuid !== undefined) {
      tasks.handle(
        {
          type: 'ACKNOWLEDGE',
          acknowledge: { framework_id: { value: 'fw' }, task_id: { value: taskId }, uuid: latest.uuid },
        },
        FIXTURE_AGENT_ID,
      );
    }
    return done();
  });

/** `state/reason` of every update sent for `taskId`. */
export const statesOf = (sent: readonly TaskStatus[], taskId: string): string[] =>
  sent.filter((s) => s.task_id.value === taskId).map((s) => `${s.state}/${s.reason ?? ''}`);

/** Polls `probe` (real time, for file I/O to complete) until it returns a value. */
export async function until<T>(probe: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not met within 2 s');
}
