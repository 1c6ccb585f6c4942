/**
 * The agent module's public surface: `startAgent` wires the HTTP API, the master client and the
 * `Agent`; the composition root (`services/cmd`) supplies the config, clock, logger and the
 * concrete containerizers.
 */
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import type { Logger } from '../log/logger.js';
import { Agent, type AgentState } from './agent.js';
import { AgentInstrumentation } from './agent-metrics.js';
import type { AgentConfig } from './agent-config.js';
import type { Containerizer } from './containerizer/containerizer.js';
import { SandboxFiles } from './files.js';
import { startAgentHttp } from './http.js';
import { type DetectMaster, HttpMasterClient, standaloneDetector } from './master-client.js';
import { agentStateJson, monitorStatisticsJson } from './state-json.js';

export type { AgentState } from './agent.js';
export {
  type AgentConfig,
  type AgentConfigInput,
  resolveAgentConfig,
  parseAttributes,
  detectResources,
} from './agent-config.js';
export { loadAgentConfig, probeMachine } from './machine.js';
export type { DetectMaster } from './master-client.js';
export { ProcessContainerizer } from './containerizer/process/process-containerizer.js';
export { DockerContainerizer, DockerodeApi } from './containerizer/docker/index.js';
export type { Containerizer } from './containerizer/containerizer.js';
export { AgentInstrumentation } from './agent-metrics.js';

export interface AgentDependencies {
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Available containerizers; `config.containerizers` picks and orders them by `name`. Their
   * owner (the caller) disposes them: `stop()` kills only the tasks of containerizers that cannot
   * re-attach after a restart (`survivesAgentRestart` false) and leaves the other containers running.
   */
  readonly containerizers: readonly Containerizer[];
  /** Finds the leading master. @default the fixed `config.masterUrl` (ZooKeeper URLs need one) */
  readonly detectMaster?: DetectMaster;
  /** Uniform in [0, 1), for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * Where the agent records its metrics. Pass one to also record image pulls of a `DockerApi`
   * built by the caller (`metrics.instrumentDockerApi(api)`). @default a new one
   */
  readonly metrics?: AgentInstrumentation;
}

export interface AgentHandle extends AsyncDisposable {
  /** Base URL of the agent's HTTP API (advertised address, real port). */
  readonly url: string;
  agentId(): AgentId | undefined;
  state(): AgentState;
  /**
   * Kills the tasks a restarted agent could not re-attach to (process tasks), reporting them, then
   * disconnects from the master and closes the HTTP API; docker containers keep running for the
   * next agent on the same work dir. Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves once the agent stopped: by `stop()`, or because the master sent SHUTDOWN. */
  readonly stopped: Promise<void>;
}

/**
 * Starts an agent: binds its HTTP API, recovers its checkpoint (adopting the containers of a
 * previous run), then registers with the master in the background (the returned promise does not
 * wait for the master). Rejects for a containerizer named in the config
 * but not supplied, an unusable master address, or a port in use.
 */
export async function startAgent(config: AgentConfig, deps: AgentDependencies): Promise<AgentHandle> {
  const metrics = deps.metrics ?? new AgentInstrumentation({ clock: deps.clock });
  const containerizers = config.containerizers.map((name) => {
    const found = deps.containerizers.find((c) => c.name === name);
    if (found === undefined) {
      throw new MesoError('INVALID_CALL', `containerizer '${name}' is configured but was not provided`);
    }
    return metrics.instrument(found);
  });
  const detectMaster = deps.detectMaster ?? standaloneDetector(config.masterUrl);
  const log = deps.log.child({ role: 'agent' });
  const http = await startAgentHttp({
    ip: config.ip,
    port: config.port,
    advertiseIp: config.advertiseIp,
    log,
    middleware: metrics.middleware,
  });
  let agent: Agent | undefined;
  try {
    agent = await Agent.start({
      config,
      clock: deps.clock,
      log,
      containerizers,
      detectMaster,
      master: new HttpMasterClient({ clock: deps.clock, log }),
      port: http.port,
      random: deps.random ?? Math.random,
    });
    metrics.attach(agent);
    const files = await SandboxFiles.open(config.workDir);
    const describe = agent.describe.bind(agent);
    http.attach({
      state: () => agentStateJson(describe()),
      flags: () => config.flags,
      statistics: () => monitorStatisticsJson(describe().registry),
      files,
      describe,
      executors: agent.executors(),
    });
  } catch (err) {
    await agent?.stop();
    await http.close();
    throw err;
  }
  const stopped = agent.stopped.then(() => http.close());
  const stop = async (): Promise<void> => {
    await agent.stop();
    await stopped;
  };
  return {
    url: http.url,
    agentId: () => agent.agentId(),
    state: () => agent.state,
    stop,
    stopped,
    [Symbol.asyncDispose]: stop,
  };
}
