/**
 * A scriptable containerizer for unit tests of the agent: containers "start" at once and end when
 * killed or when the test ends them; `recover` answers what the test set in `recovery`.
 */
import type { AgentId, ContainerId } from '../../../core/ids.js';
import type {
  Containerizer,
  ContainerSpec,
  LaunchOutcome,
  RecoverySummary,
  ResourceUsage,
  Termination,
} from '../containerizer.js';

export class FakeContainerizer implements Containerizer {
  readonly launched: ContainerSpec[] = [];
  /** Grace periods of the kills, in order. */
  readonly kills: number[] = [];
  /** `recover` calls, as `agentId:known,ids`. */
  readonly recoveries: string[] = [];
  /** What `recover` answers (after its own launches are dropped from it). */
  recovery: RecoverySummary = { recovered: [], orphansDestroyed: [] };
  private readonly ends = new Map<ContainerId, (termination: Termination) => void>();
  private readonly waits = new Map<ContainerId, Promise<Termination>>();

  readonly name = 'fake';
  readonly survivesAgentRestart = true;

  supports(): boolean {
    return true;
  }

  async recover(agentId: AgentId, known: ReadonlySet<ContainerId>): Promise<RecoverySummary> {
    this.recoveries.push(`${agentId}:${[...known].sort().join(',')}`);
    for (const { containerId, termination } of this.recovery.recovered) {
      this.track(containerId);
      if (termination !== undefined) this.end(containerId, termination);
    }
    return this.recovery;
  }

  async launch(spec: ContainerSpec): Promise<LaunchOutcome> {
    this.launched.push(spec);
    this.track(spec.containerId);
    return 'launched';
  }

  async wait(containerId: ContainerId): Promise<Termination | undefined> {
    return this.waits.get(containerId);
  }

  async kill(containerId: ContainerId, gracePeriodMs: number): Promise<void> {
    this.kills.push(gracePeriodMs);
    this.end(containerId, { reason: 'killed', signal: 'SIGKILL', message: 'container was killed' });
  }

  async usage(): Promise<ResourceUsage | undefined> {
    return undefined;
  }

  /** Ends a container as the test says. */
  end(containerId: ContainerId, termination: Termination): void {
    this.ends.get(containerId)?.(termination);
  }

  private track(containerId: ContainerId): void {
    this.waits.set(containerId, new Promise((resolve) => this.ends.set(containerId, resolve)));
  }
}
