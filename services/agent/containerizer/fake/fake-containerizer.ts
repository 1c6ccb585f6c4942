/**
 * A scriptable containerizer for unit tests of the agent: containers "start" at once and end when
 * killed or when the test ends them; `recover` answers what the test set in `recovery`, `exec`
 * what the test set in `execResult`.
 */
import type { AgentId, ContainerId } from '../../../core/ids.js';
import type { CommandInfo } from '../../../core/v1/tasks.js';
import type {
  Containerizer,
  ContainerSpec,
  ExecResult,
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
  /** `exec` calls, in order. */
  readonly execs: { readonly containerId: ContainerId; readonly command: CommandInfo }[] = [];
  /** What `recover` answers (after its own launches are dropped from it). */
  recovery: RecoverySummary = { recovered: [], orphansDestroyed: [] };
  /** What `exec` answers; a command exiting 0 unless the test says otherwise. */
  execResult: (containerId: ContainerId) => Promise<ExecResult> = async () => ({
    exitCode: 0,
    message: 'command exited with code 0',
  });
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

  exec(containerId: ContainerId, command: CommandInfo): Promise<ExecResult> {
    this.execs.push({ containerId, command });
    return this.execResult(containerId);
  }

  /** Ends a container as the test says. */
  end(containerId: ContainerId, termination: Termination): void {
    this.ends.get(containerId)?.(termination);
  }

  private track(containerId: ContainerId): void {
    this.waits.set(containerId, new Promise((resolve) => this.ends.set(containerId, resolve)));
  }
}
