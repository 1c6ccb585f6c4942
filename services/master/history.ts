/**
 * Rebuilds the master's history (completed frameworks and tasks) from what a (re-)registering
 * agent remembers. Master state is soft: after a failover the new leader knows only what agents
 * and frameworks tell it, and agents keep their recent completed tasks for exactly this (Mesos's
 * re-registration carries them too).
 */
import type { AgentTask } from '../core/agent-protocol.js';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import { frameworkRoles, type FrameworkInfo } from '../core/v1/cluster.js';
import type { Master } from './master.js';
import { newFrameworkRecord, pushBounded, type FrameworkRecord } from './records.js';

export function recoverHistory(
  master: Master,
  agentId: AgentId,
  completedFrameworks: readonly FrameworkInfo[],
  completedTasks: readonly AgentTask[],
): void {
  const nowSec = master.nowSec();
  for (const info of completedFrameworks) {
    const id = info.id?.value as FrameworkId | undefined;
    if (id === undefined || master.frameworks.has(id) || master.completedFrameworks.some((f) => f.id === id))
      continue;
    const fw = newFrameworkRecord(id, info, frameworkRoles(info), new Set(), nowSec);
    fw.state = 'disconnected';
    fw.unregisteredTimeSec = nowSec;
    pushBounded(master.completedFrameworks, fw, master.config.maxCompletedFrameworks);
  }
  const frameworkOf = (id: string): FrameworkRecord | undefined =>
    master.frameworks.get(id as FrameworkId) ?? master.completedFrameworks.find((f) => f.id === id);
  for (const report of completedTasks) {
    const fw = frameworkOf(report.framework_id.value);
    const taskId = report.task.task_id.value as TaskId;
    if (fw === undefined || fw.tasks.has(taskId) || fw.completedTasks.some((t) => t.taskId === taskId))
      continue;
    pushBounded(
      fw.completedTasks,
      {
        frameworkId: fw.id,
        agentId,
        taskId,
        info: report.task,
        role: report.task.resources[0]?.allocation_info?.role ?? fw.roles[0] ?? '*',
        resources: Resources.fromV1(report.task.resources),
        ...(report.executor_id !== undefined && { executorId: report.executor_id.value as ExecutorId }),
        state: report.state,
        statuses: [],
        resourcesReleased: true,
      },
      master.config.maxCompletedTasksPerFramework,
    );
  }
}
