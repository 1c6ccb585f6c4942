/**
 * Test doubles for framework schedulers: a `TaskControl` that records kills, offers built from a
 * short resource spec, and status updates, so schedulers can be driven without a master.
 */
import type { Offer } from '../../core/v1/cluster.js';
import type { Attribute } from '../../core/v1/common.js';
import type { TaskState, TaskStatus } from '../../core/v1/tasks.js';
import type { TaskControl } from '../common/daemon.js';

export class RecordingControl implements TaskControl {
  readonly kills: string[] = [];

  kill(taskId: string): Promise<void> {
    this.kills.push(taskId);
    return Promise.resolve();
  }

  reconcile(): Promise<void> {
    return Promise.resolve();
  }

  demandChanged(): void {
    // Schedulers call this after every change; tests ask `wantsOffers()` directly.
  }
}

let offerCount = 0;

/** An offer of `cpus`/`mem` and ports 31000-31009 on `hostname`. */
export function testOffer(hostname: string, cpus = 4, mem = 4096, attributes: Attribute[] = []): Offer {
  const allocation = { role: '*' };
  return {
    id: { value: `offer-${++offerCount}` },
    framework_id: { value: 'F' },
    agent_id: { value: `agent-${hostname}` },
    hostname,
    attributes,
    allocation_info: allocation,
    url: { scheme: 'http', address: { hostname, ip: '127.0.0.1', port: 5051 } },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, role: '*', allocation_info: allocation },
      { name: 'mem', type: 'SCALAR', scalar: { value: mem }, role: '*', allocation_info: allocation },
      {
        name: 'ports',
        type: 'RANGES',
        ranges: { range: [{ begin: 31000, end: 31009 }] },
        role: '*',
        allocation_info: allocation,
      },
    ],
  };
}

export const statusOf = (taskId: string, state: TaskState, message?: string): TaskStatus => ({
  task_id: { value: taskId },
  state,
  agent_id: { value: 'agent' },
  ...(message !== undefined && { message }),
});
