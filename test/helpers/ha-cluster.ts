/**
 * High availability harness: masters contending through ZooKeeper as separate `meso` processes
 * (via `Cluster`), and how to tell which of them leads, as a client would see it. Shared by
 * `test/integration/ha-*.test.ts` and `bench/failover.ts`.
 *
 *   const ha = new HaMasters(cluster, zkGroupUrl(zk.connectString), { zk_session_timeout: '3secs' });
 *   await ha.start(3);
 *   const leader = await ha.leader(10_000);
 *   await ha.kill(leader);                  // SIGKILL; `ha.live` no longer lists it
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Offer } from '../../services/core/v1/cluster.js';
import type { TaskState } from '../../services/core/v1/tasks.js';
import { after, before } from 'node:test';
import { Cluster, waitFor, type Flags, type MesoProcess } from './cluster.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import type { TestScheduler } from './scheduler.js';

/** The parts of `/master/state` these tests read. */
export interface MasterState {
  readonly id: string;
  readonly pid: string;
  /** Only on the elected master. */
  readonly elected_time?: number;
  readonly leader?: string;
  readonly leader_info?: { readonly id: string; readonly hostname: string; readonly port: number };
  readonly slaves: readonly { readonly id: string; readonly active: boolean; readonly port: number }[];
  readonly recovered_slaves: readonly { readonly id: string }[];
  readonly unreachable_slaves: number;
  readonly frameworks: readonly {
    readonly id: string;
    readonly active: boolean;
    readonly recovered: boolean;
    readonly tasks: readonly { readonly id: string; readonly state: string; readonly slave_id: string }[];
    readonly unreachable_tasks: readonly { readonly id: string; readonly state: string }[];
  }[];
  readonly completed_frameworks: readonly { readonly id: string }[];
}

/** Masters that notice a dead leader within seconds and give agents ample time to come back. */
export const QUICK_FAILOVER_MASTER_FLAGS = {
  zk_session_timeout: '3secs',
  allocation_interval: '200ms',
  agent_reregister_timeout: '1mins',
} as const;

/** A fresh group path on `connectString`, so runs never see each other's nodes. */
export const zkGroupUrl = (connectString: string): string =>
  `zk://${connectString}/meso-test/${randomUUID()}`;

export async function masterState(master: MesoProcess): Promise<MasterState> {
  const res = await fetch(`${master.url}/master/state`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${master.url}/master/state answered ${res.status}`);
  return (await res.json()) as MasterState;
}

/** The masters of one election group; killed ones leave `live`, restarted ones join it. */
export class HaMasters {
  readonly live: MesoProcess[] = [];

  constructor(
    private readonly cluster: Cluster,
    /** The `--zk` URL. */
    readonly zk: string,
    private readonly flags: Flags = {},
  ) {}

  /** Starts `count` masters one after the other, so the first one started leads. */
  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.add();
  }

  /** Starts one more master (what a supervisor does after a master exited). */
  async add(): Promise<MesoProcess> {
    const master = await this.cluster.startMaster({ zk: this.zk, ...this.flags });
    this.live.push(master);
    void master.exited.then(() => this.forget(master));
    return master;
  }

  /** SIGKILLs `master` (a crash) and waits until it is gone. */
  async kill(master: MesoProcess): Promise<void> {
    await master.kill('SIGKILL');
    this.forget(master);
  }

  /**
   * The live masters that consider themselves elected (their `/master/state` has `elected_time`),
   * paired with their states; masters that do not answer (frozen, say) are left out.
   */
  async leaders(): Promise<{ readonly master: MesoProcess; readonly state: MasterState }[]> {
    const answers = await Promise.all(
      this.live.map((master) =>
        masterState(master).then(
          (state) => ({ master, state }),
          () => undefined,
        ),
      ),
    );
    return answers.filter((a) => a !== undefined && a.state.elected_time !== undefined) as {
      master: MesoProcess;
      state: MasterState;
    }[];
  }

  /** Waits until exactly one live master leads and returns it. */
  async leader(timeoutMs: number, except?: MesoProcess): Promise<MesoProcess> {
    return waitFor(
      async () => {
        const leaders = await this.leaders();
        const only = leaders.length === 1 ? leaders[0]?.master : undefined;
        return only !== except && only;
      },
      timeoutMs,
      `exactly one leading master${except === undefined ? '' : ` other than ${except.url}`}`,
    );
  }

  /**
   * Waits until `standby` has read the leader's record from ZooKeeper (a master answers HTTP
   * before its detector's first read completes) and returns the standby's state.
   */
  async following(standby: MesoProcess, leader: MesoProcess, timeoutMs: number): Promise<MasterState> {
    const leaderId = (await masterState(leader)).id;
    return waitFor(
      async () => {
        const state = await masterState(standby);
        return state.leader_info?.id === leaderId && state;
      },
      timeoutMs,
      `${standby.url} to follow the leader ${leader.url}`,
    );
  }

  /** A live master other than `leader`. */
  standby(leader: MesoProcess): MesoProcess {
    const standby = this.live.find((m) => m !== leader);
    if (standby === undefined) throw new Error('no standby master is running');
    return standby;
  }

  private forget(master: MesoProcess): void {
    const index = this.live.indexOf(master);
    if (index !== -1) this.live.splice(index, 1);
  }
}

/** Waits for an update to `state` of each of `taskIds`, in whatever order they come. */
export async function nextUpdates(
  scheduler: TestScheduler,
  taskIds: Iterable<string>,
  state: TaskState,
  timeoutMs: number,
): Promise<void> {
  const pending = new Set(taskIds);
  while (pending.size > 0) {
    const event = await scheduler.next(
      (e) =>
        e.type === 'UPDATE' && pending.has(e.update.status.task_id.value) && e.update.status.state === state,
      `${state} for ${[...pending].join(', ')}`,
      timeoutMs,
    );
    if (event.type === 'UPDATE') pending.delete(event.update.status.task_id.value);
  }
}

/** One offer from each of `count` different agents. */
export async function offersOfAgents(
  scheduler: TestScheduler,
  count: number,
  timeoutMs: number,
): Promise<Offer[]> {
  const byAgent = new Map<string, Offer>();
  await waitFor(
    async () => {
      for (const offer of await scheduler.nextOffers()) byAgent.set(offer.agent_id.value, offer);
      return byAgent.size >= count;
    },
    timeoutMs,
    `offers of ${count} agents`,
  );
  return [...byAgent.values()].slice(0, count);
}

/** How `process` exited, or `undefined` if it still runs after `timeoutMs`. */
export async function exitWithin(
  process: MesoProcess,
  timeoutMs: number,
): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(
    (resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)),
  );
  try {
    return await Promise.race([process.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `meso <args>` to completion (for commands expected to fail at start-up). */
export async function runMeso(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ readonly code: number | null; readonly output: string }> {
  const entry = new URL('../../services/cmd/meso.js', import.meta.url);
  const child = spawn(process.execPath, [entry.pathname, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/** What `useHaCluster` sets up: read `ha` and `zk` inside tests, once `before` has run. */
export interface HaTestCluster {
  readonly cluster: Cluster;
  readonly ha: HaMasters;
  readonly zk: ZooKeeperServer;
}

/**
 * Registers the current suite's `before`/`after` hooks: a real ZooKeeper, `masters` masters
 * started one after the other (the first leads), then one agent per entry of `agents` (following
 * the leader through ZooKeeper); everything is stopped afterwards.
 */
export function useHaCluster(options: {
  readonly masters: number;
  readonly masterFlags: Flags;
  readonly agents?: readonly Flags[];
}): HaTestCluster {
  const cluster = new Cluster();
  const state: { ha?: HaMasters; zk?: ZooKeeperServer } = {};
  before(async () => {
    state.zk = await startZooKeeper();
    state.ha = new HaMasters(cluster, zkGroupUrl(state.zk.connectString), options.masterFlags);
    await state.ha.start(options.masters);
    for (const flags of options.agents ?? []) await cluster.startAgent(state.ha.zk, flags);
  });
  after(async () => {
    await cluster.stopAll();
    await state.zk?.destroy();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside a test)`);
    return value;
  };
  return {
    cluster,
    get ha() {
      return started(state.ha, 'the HA cluster');
    },
    get zk() {
      return started(state.zk, 'ZooKeeper');
    },
  };
}
