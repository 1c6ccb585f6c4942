/**
 * Measures the host for resource auto-detection and address defaults. The only place in the agent
 * that asks the operating system how big the machine is.
 */
import { mkdir, statfs } from 'node:fs/promises';
import os from 'node:os';
import {
  type AgentConfig,
  type AgentConfigInput,
  type MachineInfo,
  resolveAgentConfig,
} from './agent-config.js';

/** Probes cores, memory, the work dir's filesystem size, hostname and first IPv4 address. Creates `workDir`. */
export async function probeMachine(workDir: string): Promise<MachineInfo> {
  // The work dir must exist to measure its filesystem; the agent needs it anyway (Mesos creates it too).
  await mkdir(workDir, { recursive: true });
  const fs = await statfs(workDir);
  const primaryIpv4 = Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal)?.address;
  return {
    cpuCount: os.availableParallelism(),
    memTotalBytes: os.totalmem(),
    diskTotalBytes: fs.blocks * fs.bsize,
    hostname: os.hostname(),
    primaryIpv4,
  };
}

/** The usual way to build a config: validate `input` and complete it from this machine. */
export async function loadAgentConfig(input: AgentConfigInput): Promise<AgentConfig> {
  return resolveAgentConfig(input, await probeMachine(input.workDir));
}
