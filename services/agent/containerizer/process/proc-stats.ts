/**
 * CPU time and resident memory of a process group, read from Linux's `/proc`. Summed over the
 * group because `/bin/sh -c` keeps a shell between the agent and the task's real process.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Kernel clock ticks per second for `utime`/`stime` (`USER_HZ`). It is 100 on every Linux ABI Node
 * runs on; `sysconf(_SC_CLK_TCK)` is not reachable from Node without a native module.
 */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  readonly pid: number;
  readonly processGroupId: number;
  readonly userTicks: number;
  readonly systemTicks: number;
  /** When the process started, in clock ticks since boot: with the pid, it names one process. */
  readonly startTicks: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ')': state(3) ppid(4) pgrp(5) ... utime(14) stime(15) ... starttime(22); index 0 is field 3.
  const fields = text.slice(close + 2).split(' ');
  const processGroupId = Number(fields[2]);
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  const startTicks = Number(fields[19]);
  if (![pid, processGroupId, userTicks, systemTicks, startTicks].every(Number.isFinite)) return undefined;
  return { pid, processGroupId, userTicks, systemTicks, startTicks };
}

/** `VmRSS` of `/proc/<pid>/status`, in bytes; 0 when absent (kernel threads, zombies). */
export function parseVmRssBytes(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(statusText);
  return match === null ? 0 : Number(match[1]) * 1024;
}

export interface GroupUsage {
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly memRssBytes: number;
}

/** `stat` of every process readable now (those that exit while being read are skipped); none without `/proc`. */
async function allProcesses<T extends object>(
  procRoot: string,
  read: (stat: ProcStat, dir: string) => Promise<T | undefined>,
): Promise<T[]> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return [];
  }
  const found: (T | undefined)[] = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const dir = path.join(procRoot, name);
        try {
          const stat = parseProcStat(await readFile(path.join(dir, 'stat'), 'utf8'));
          return stat === undefined ? undefined : await read(stat, dir);
        } catch {
          // The process exited between listing and reading.
          return undefined;
        }
      }),
  );
  return found.filter((value): value is T => value !== undefined);
}

/**
 * Sums usage over every live process whose group is `processGroupId`. Returns zeros where `/proc`
 * does not exist (not Linux).
 */
export async function processGroupUsage(processGroupId: number, procRoot = '/proc'): Promise<GroupUsage> {
  const members = await allProcesses(procRoot, async (stat, dir) =>
    stat.processGroupId === processGroupId
      ? { stat, rss: parseVmRssBytes(await readFile(path.join(dir, 'status'), 'utf8')) }
      : undefined,
  );
  return {
    cpuUserSeconds: members.reduce((sum, m) => sum + m.stat.userTicks, 0) / CLOCK_TICKS_PER_SECOND,
    cpuSystemSeconds: members.reduce((sum, m) => sum + m.stat.systemTicks, 0) / CLOCK_TICKS_PER_SECOND,
    memRssBytes: members.reduce((sum, m) => sum + m.rss, 0),
  };
}

/** When process `pid` started (clock ticks since boot), or `undefined` when it does not run. */
export async function processStartTicks(pid: number, procRoot = '/proc'): Promise<number | undefined> {
  try {
    return parseProcStat(await readFile(path.join(procRoot, String(pid), 'stat'), 'utf8'))?.startTicks;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process group a leader started (`leaderPid` at `leaderStartTicks`) still has
 * members. The leader itself may be gone and its group live on; the kernel hands out no pid still
 * used as a group id, so members of group `leaderPid` then belong to that group. A leader pid now
 * naming a younger process means the group died and the pid was reused.
 */
export async function groupLivesOn(
  leaderPid: number,
  leaderStartTicks: number,
  procRoot = '/proc',
): Promise<boolean> {
  const leaderNow = await processStartTicks(leaderPid, procRoot);
  if (leaderNow !== undefined) return leaderNow === leaderStartTicks;
  const members = await allProcesses(procRoot, (stat) =>
    Promise.resolve(stat.processGroupId === leaderPid ? stat : undefined),
  );
  return members.length > 0;
}
