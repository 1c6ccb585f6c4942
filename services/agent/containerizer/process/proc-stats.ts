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
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ')': state(3) ppid(4) pgrp(5) ... utime(14) stime(15); index 0 is field 3.
  const fields = text.slice(close + 2).split(' ');
  const processGroupId = Number(fields[2]);
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (![pid, processGroupId, userTicks, systemTicks].every(Number.isFinite)) return undefined;
  return { pid, processGroupId, userTicks, systemTicks };
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

/**
 * Sums usage over every live process whose group is `processGroupId`. Processes that exit while
 * being read are skipped. Returns zeros where `/proc` does not exist (not Linux).
 */
export async function processGroupUsage(processGroupId: number, procRoot = '/proc'): Promise<GroupUsage> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return { cpuUserSeconds: 0, cpuSystemSeconds: 0, memRssBytes: 0 };
  }
  let userTicks = 0;
  let systemTicks = 0;
  let memRssBytes = 0;
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        try {
          const stat = parseProcStat(await readFile(path.join(procRoot, name, 'stat'), 'utf8'));
          if (stat?.processGroupId !== processGroupId) return;
          const status = await readFile(path.join(procRoot, name, 'status'), 'utf8');
          userTicks += stat.userTicks;
          systemTicks += stat.systemTicks;
          memRssBytes += parseVmRssBytes(status);
        } catch {
          // The process exited between listing and reading.
        }
      }),
  );
  return {
    cpuUserSeconds: userTicks / CLOCK_TICKS_PER_SECOND,
    cpuSystemSeconds: systemTicks / CLOCK_TICKS_PER_SECOND,
    memRssBytes,
  };
}
