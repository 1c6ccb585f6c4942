/**
 * A complete minimal framework on the meso scheduler SDK: runs `--count` copies of `--cmd`, one
 * per agent (a UNIQUE hostname constraint), relaunches failed ones, and tears itself down when all
 * have finished. Its framework id is kept in a file, so killing it and starting it again fails over
 * (same id, same tasks) instead of starting afresh.
 *
 *   npx tsx examples/hello-framework.ts --master http://127.0.0.1:5050 --count 2 --cmd 'echo hello; sleep 5'
 */
import { parseArgs } from 'node:util';
import type { Offer } from '../services/core/v1/cluster.js';
import type { TaskStatus } from '../services/core/v1/tasks.js';
import { createLogger } from '../services/log/logger.js';
import {
  FileFrameworkIdStore,
  Framework,
  type FrameworkHandlers,
  type OfferLaunch,
  planPlacements,
  type ReconcileTask,
  staticMaster,
} from '../services/scheduler/index.js';

const { values: flags } = parseArgs({
  options: {
    master: { type: 'string', default: 'http://127.0.0.1:5050' },
    count: { type: 'string', default: '2' },
    cmd: { type: 'string', default: 'echo hello from $MESOS_TASK_ID; sleep 2' },
    id_file: { type: 'string', default: '/tmp/hello-framework.id' },
  },
});
const log = createLogger('info', { role: 'hello-framework' });

/** The framework's whole state: task name → where it runs and how it is doing. */
type Phase = 'wanted' | 'launched' | 'finished';

class Hello implements FrameworkHandlers {
  readonly tasks = new Map<string, { phase: Phase; agentId?: string; hostname?: string }>();
  onDone: () => void = () => undefined;

  constructor(count: number) {
    for (let i = 0; i < count; i++) this.tasks.set(`hello-${i}`, { phase: 'wanted' });
  }

  wantsOffers(): boolean {
    return [...this.tasks.values()].some((t) => t.phase === 'wanted');
  }

  knownTasks(): ReconcileTask[] {
    return [...this.tasks]
      .filter(([, t]) => t.phase === 'launched')
      .map(([id, t]) => ({ task_id: { value: id }, ...(t.agentId && { agent_id: { value: t.agentId } }) }));
  }

  onOffers(offers: readonly Offer[]): OfferLaunch[] {
    const wanted = [...this.tasks].filter(([, t]) => t.phase === 'wanted').map(([id]) => id);
    const placed = [...this.tasks.values()].flatMap((t) =>
      t.phase === 'launched' && t.hostname ? [{ hostname: t.hostname, attributes: [] }] : [],
    );
    const plan = planPlacements(offers, [
      {
        key: 'hello',
        count: wanted.length,
        needs: { cpus: 0.1, memMiB: 32 },
        constraints: [{ field: 'hostname', operator: 'UNIQUE' }],
        placed,
      },
    ]);
    for (const [, considered] of plan.considered) {
      for (const o of considered)
        if (o.refusal) log.info('offer declined', { hostname: o.hostname, reason: o.refusal });
    }
    return plan.placements.map((placement, i) => {
      const id = wanted[i] ?? '';
      this.tasks.set(id, {
        phase: 'launched',
        agentId: placement.offer.agent_id.value,
        hostname: placement.offer.hostname,
      });
      return {
        offer: placement.offer,
        tasks: [
          {
            name: id,
            task_id: { value: id },
            resources: placement.resources,
            command: { value: flags.cmd, shell: true },
          },
        ],
      };
    });
  }

  onUpdate(status: TaskStatus): void {
    const task = this.tasks.get(status.task_id.value);
    if (task === undefined) return;
    log.info('task update', { taskId: status.task_id.value, state: status.state, message: status.message });
    if (status.state === 'TASK_FINISHED') task.phase = 'finished';
    else if (
      ['TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_KILLED', 'TASK_DROPPED', 'TASK_GONE'].includes(
        status.state,
      )
    )
      task.phase = 'wanted';
    if ([...this.tasks.values()].every((t) => t.phase === 'finished')) this.onDone();
  }
}

const hello = new Hello(Number(flags.count));
const framework = await Framework.start({
  master: staticMaster(flags.master),
  info: { user: 'root', name: 'hello-framework' },
  idStore: new FileFrameworkIdStore(flags.id_file),
  handlers: hello,
  log,
});
hello.onDone = () => {
  log.info('every task finished; tearing down');
  void framework.teardown();
};
// The runtime revives/suppresses as `wantsOffers()` changes after events; nothing else is needed.
process.once('SIGINT', () => void framework.stop());
await framework.done;
