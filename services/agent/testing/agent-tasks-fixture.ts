/**
 * Unit-test support: an `AgentTasks` (the agent's work without its master connection) on a work
 * dir, a manual clock and the given containerizers, recording the updates it sends.
 */
import type { ManualClock } from '../../core/clock.js';
import type { AgentId } from '../../core/ids.js';
import type { FrameworkInfo } from '../../core/v1/cluster.js';
import type { TaskStatus } from '../../core/v1/tasks.js';
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
