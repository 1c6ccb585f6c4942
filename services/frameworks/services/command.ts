/** `meso services`: the services framework's scheduler daemon (see docs/frameworks.md). */
import type { Command } from 'commander';
import { frameworkDaemonCommand } from '../common/daemon-command.js';
import { createServiceScheduler } from './service-scheduler.js';
import { decodeServiceState, EMPTY_SERVICE_STATE } from './service-state.js';

export const servicesCommand = (): Command =>
  frameworkDaemonCommand({
    name: 'services',
    description: 'run the services framework: long-running apps kept healthy (like Marathon)',
    defaults: { port: 8090, frameworkName: 'meso-services' },
    definition: {
      kind: 'services',
      decode: decodeServiceState,
      empty: EMPTY_SERVICE_STATE,
      create: createServiceScheduler,
    },
  });
