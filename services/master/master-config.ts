/** The master's configuration, parsed once by the composition root and then frozen. */
import type { Quantities } from '../allocator/allocator.js';

export interface MasterConfig {
  /** Address advertised in MasterInfo and offers. */
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  /** Period of the batch allocation (Mesos `--allocation_interval`). @default 1000 */
  readonly allocationIntervalMs: number;
  /** Offers not answered within this time are rescinded; `undefined` = never (Mesos `--offer_timeout`). */
  readonly offerTimeoutMs?: number;
  /** Expected interval between agent pings (Mesos `--agent_ping_timeout`). @default 15000 */
  readonly agentPingTimeoutMs: number;
  /** Missed pings after which an agent is marked unreachable (Mesos `--max_agent_ping_timeouts`). @default 5 */
  readonly maxAgentPingTimeouts: number;
  /**
   * How long a newly elected master waits for the agents in its registry to re-register before
   * marking the missing ones unreachable (Mesos `--agent_reregister_timeout`, which refuses values
   * under 10 minutes; meso accepts any positive value, so tests can be quick). @default 600000
   */
  readonly agentReregisterTimeoutMs: number;
  /** Heartbeats on scheduler streams; Mesos fixes this at 15 s. @default 15000 */
  readonly heartbeatIntervalMs: number;
  /** Mesos `--min_allocatable_resources`. @default [{cpus: 0.01}, {mem: 32}] */
  readonly minAllocatable: readonly Quantities[];
  /** @default 50 */
  readonly maxCompletedFrameworks: number;
  /** @default 1000 */
  readonly maxCompletedTasksPerFramework: number;
  /** Filter applied to declined or unused resources when the framework gives none. @default 5000 */
  readonly defaultRefuseMs: number;
  readonly cluster?: string;
  /** Flags as given, shown by `/master/flags` and `/master/state`. */
  readonly flags: Readonly<Record<string, string>>;
}

export const MASTER_DEFAULTS = {
  port: 5050,
  allocationIntervalMs: 1000,
  agentPingTimeoutMs: 15_000,
  maxAgentPingTimeouts: 5,
  agentReregisterTimeoutMs: 600_000,
  heartbeatIntervalMs: 15_000,
  minAllocatable: [{ cpus: 0.01 }, { mem: 32 }],
  maxCompletedFrameworks: 50,
  maxCompletedTasksPerFramework: 1000,
  defaultRefuseMs: 5000,
} as const;

/** Longest filter a framework may ask for (Mesos caps refuse_seconds at 365 days). */
export const MAX_REFUSE_MS = 365 * 86_400_000;

/** Statuses kept per task for `/master/state`. */
export const MAX_STATUSES_PER_TASK = 50;
