/**
 * Starts a master: allocator, allocation loop, bookkeeping, HTTP server and its place in the
 * election, wired together. Concrete classes are chosen by the caller (`services/cmd`), which
 * passes them in.
 *
 * Every master contends; only the elected one acts. On election it recovers the registry
 * (`registrar.ts`, `recovery.ts`), then serves and allocates. Until then, and for good once it is
 * deposed, it redirects leader-only requests to the leader and its timers do nothing
 * (`election.ts`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AllocationLoop } from '../allocator/allocation-loop.js';
import { HierarchicalAllocator } from '../allocator/hierarchical-allocator.js';
import type { MasterContender } from '../coordination/contender.js';
import type { MasterDetector } from '../coordination/detector.js';
import { InMemoryRegistryStore, type RegistryStore } from '../coordination/registry-store.js';
import { StandaloneContender } from '../coordination/standalone.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { leaderOnlyClock, MasterElection } from './election.js';
import { createMasterApp } from './http-api.js';
import { buildMasterInfo } from './master-info.js';
import { MasterInstrumentation } from './master-metrics.js';
import type { MasterConfig } from './master-config.js';
import { Master } from './master.js';
import { recoverFromRegistry } from './recovery.js';
import { decodeMasterRegistry, type MasterRegistry, Registrar } from './registrar.js';

export { decodeMasterRegistry, type MasterRegistry } from './registrar.js';

export interface MasterDaemon {
  readonly master: Master;
  /** Base URL, e.g. `http://127.0.0.1:5050`. */
  readonly url: string;
  /** Leaves the election, stops every timer and closes the HTTP server. Idempotent. */
  stop(): Promise<void>;
}

/** Election and registry, opened and closed by the caller. */
export interface MasterCoordination {
  readonly contender: MasterContender;
  /** Tells standbys who leads, so they can redirect to it. */
  readonly detector: MasterDetector;
  readonly registry: RegistryStore<MasterRegistry>;
}

export interface MasterRuntime {
  readonly clock: Clock;
  readonly log: Logger;
  /** Interface to listen on; the advertised address is `config.ip`. @default "0.0.0.0" */
  readonly listenHost?: string;
  /** With ZooKeeper, say; absent: this master leads alone, with its registry in memory. */
  readonly coordination?: MasterCoordination;
  /**
   * Called once when this master stops leading (its ZooKeeper session or node was lost, or
   * another master wrote the registry). It must never lead again: `meso master` exits here, as
   * Mesos masters do, and its supervisor restarts it as a standby. @default stops the daemon
   */
  readonly onDeposed?: (reason: string) => void;
}

/**
 * Listens, then enters the election. Resolves once this master contends; a standalone master has
 * also recovered and serves by then. Rejects when the coordination service cannot be reached.
 */
export async function startMaster(config: MasterConfig, runtime: MasterRuntime): Promise<MasterDaemon> {
  const { log } = runtime;
  const server = createServer();
  // Subscription streams live for hours; Node's default request timeout (5 min) would cut them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, runtime.listenHost ?? '0.0.0.0');
  const port = (server.address() as AddressInfo).port;
  const masterInfo = buildMasterInfo(randomUUID(), config.ip, port, config.hostname);
  const coordination = runtime.coordination;
  const contender = coordination?.contender ?? new StandaloneContender();
  const registryStore = coordination?.registry ?? new InMemoryRegistryStore(decodeMasterRegistry);

  let markLeading: () => void = () => undefined;
  const leading = new Promise<void>((resolve) => (markLeading = resolve));
  const election = new MasterElection({
    self: masterInfo,
    clock: runtime.clock,
    log,
    ...(coordination !== undefined && { detector: coordination.detector }),
    onElected: () => void lead(),
    onDeposed: runtime.onDeposed ?? (() => void stop()),
  });
  // Leader-only work runs on this clock: nothing happens once the lease is gone.
  const clock = leaderOnlyClock(runtime.clock, () => election.isLeader());

  const allocator = new HierarchicalAllocator({
    minAllocatable: config.minAllocatable,
    fairnessExcludedResourceNames: [],
  });
  // The loop and the master refer to each other; the loop's callback only runs after both exist.
  const masterRef: { current?: Master } = {};
  const metrics = new MasterInstrumentation({ clock: runtime.clock, log });
  const loop = new AllocationLoop(
    allocator,
    clock,
    { intervalMs: config.allocationIntervalMs },
    (allocations, stats) => {
      masterRef.current?.applyAllocations(allocations);
      metrics.allocationRun(stats);
    },
  );
  const master = new Master({
    config: { ...config, port },
    clock,
    log,
    allocator,
    masterInfo,
    requestAllocation: (agentIds) => loop.trigger(agentIds),
  });
  masterRef.current = master;
  const registrar = new Registrar({
    store: registryStore,
    clock: runtime.clock,
    log,
    isLeader: () => election.isLeader(),
    onConflict: (error) => election.depose(error.message),
  });
  registrar.track(master.events);
  master.policy.usePersistence((policy) => registrar.putPolicy(policy));
  master.maintenance.usePersistence((agents) => registrar.putDeactivatedAgents(agents));
  metrics.attach({ master, leadership: election, allocator });

  /** Recovers the registry, then serves; the election calls it once this master is elected. */
  async function lead(): Promise<void> {
    try {
      recoverFromRegistry(master, await registrar.recover());
    } catch (error) {
      // Stopping the daemon also ends a recovery in progress; that is no reason to step down.
      if (stopping === undefined) election.depose(`recovering the registry failed: ${String(error)}`);
      return;
    }
    if (stopping !== undefined) return;
    master.agents.startHealthChecks();
    loop.start();
    election.recovered();
    markLeading();
  }

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      loop.stop();
      metrics.stop();
      registrar.stop();
      master.stop();
      await election.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return stopping;
  }

  server.on(
    'request',
    metrics.handler(
      createMasterApp(master, election, log, {
        metricsSnapshot: () => metrics.snapshot(),
        ...(coordination?.detector.members !== undefined && {
          standbys: () => election.standbys() ?? [],
        }),
      }),
    ),
  );
  try {
    election.attach(await contender.contend(masterInfo, election.observer));
  } catch (error) {
    await stop();
    throw error;
  }
  if (coordination === undefined) await leading;
  log.info('master started', { masterId: masterInfo.id, url: `http://${config.ip}:${port}` });
  return { master, url: `http://${config.ip}:${port}`, stop };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
