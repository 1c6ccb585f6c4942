/**
 * Starts a master: allocator, allocation loop, bookkeeping and HTTP server, wired together.
 * Concrete classes are chosen by the caller (`services/cmd`), which passes them in.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AllocationLoop } from '../allocator/allocation-loop.js';
import { HierarchicalAllocator } from '../allocator/hierarchical-allocator.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { createMasterApp } from './http-api.js';
import { standaloneLeadership, type Leadership } from './leadership.js';
import { buildMasterInfo } from './master-info.js';
import type { MasterConfig } from './master-config.js';
import { Master } from './master.js';

export interface MasterDaemon {
  readonly master: Master;
  /** Base URL, e.g. `http://127.0.0.1:5050`. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface MasterRuntime {
  readonly clock: Clock;
  readonly log: Logger;
  /** Interface to listen on; the advertised address is `config.ip`. @default "0.0.0.0" */
  readonly listenHost?: string;
  /** Election seam; standalone (always leader) when absent. */
  readonly leadership?: (self: ReturnType<typeof buildMasterInfo>) => Leadership;
}

export async function startMaster(config: MasterConfig, runtime: MasterRuntime): Promise<MasterDaemon> {
  const { clock, log } = runtime;
  const server = createServer();
  // Subscription streams live for hours; Node's default request timeout (5 min) would cut them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, runtime.listenHost ?? '0.0.0.0');
  const port = (server.address() as AddressInfo).port;
  const masterInfo = buildMasterInfo(randomUUID(), config.ip, port, config.hostname);

  const allocator = new HierarchicalAllocator({
    minAllocatable: config.minAllocatable,
    fairnessExcludedResourceNames: [],
  });
  // The loop and the master refer to each other; the loop's callback only runs after both exist.
  const masterRef: { current?: Master } = {};
  const loop = new AllocationLoop(
    allocator,
    clock,
    { intervalMs: config.allocationIntervalMs },
    (allocations) => masterRef.current?.applyAllocations(allocations),
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
  const leadership = runtime.leadership?.(masterInfo) ?? standaloneLeadership(masterInfo);
  server.on('request', createMasterApp(master, leadership, log));
  loop.start();
  log.info('master started', { masterId: masterInfo.id, url: `http://${config.ip}:${port}` });

  return {
    master,
    url: `http://${config.ip}:${port}`,
    async stop() {
      loop.stop();
      master.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
