/** Builds the MasterInfo every client sees (SUBSCRIBED, ZooKeeper znodes, `/master/state`). */
import type { MasterInfo } from '../core/v1/cluster.js';
import { MESO_VERSION } from '../core/version.js';

/**
 * Mesos's `MasterInfo.ip` is the IPv4 address as the host-order uint32 of `s_addr`:
 * `a + b·2^8 + c·2^16 + d·2^24` for `a.b.c.d` (127.0.1.1 → 16842879).
 */
export function ipToUint32(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  const [a, b, c, d] = parts as [number, number, number, number];
  return a + b * 2 ** 8 + c * 2 ** 16 + d * 2 ** 24;
}

export function buildMasterInfo(id: string, ip: string, port: number, hostname: string): MasterInfo {
  return {
    id,
    ip: ipToUint32(ip),
    port,
    pid: `master@${ip}:${port}`,
    hostname,
    version: MESO_VERSION,
    address: { hostname, ip, port },
    capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'QUOTA_V2' }],
  };
}
