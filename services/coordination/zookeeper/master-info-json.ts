/**
 * The data of a `json.info_<seq>` election node: the master's `MasterInfo` in Mesos's JSON form
 * (snake_case, defaulted fields present), exactly what Mesos masters write, so Mesos agents,
 * schedulers and tools find our leader and we find theirs.
 */
import { z } from 'zod';
import type { MasterInfo } from '../../core/v1/cluster.js';
import { int } from '../../core/v1/common.js';
import { parseJsonText, parseWith } from '../../core/validation.js';

export function encodeMasterInfo(info: MasterInfo): Buffer {
  // Field order follows `mesos.v1.MasterInfo`, as the C++ serializer writes it.
  const json = {
    id: info.id,
    ip: info.ip,
    port: info.port,
    pid: info.pid,
    hostname: info.hostname,
    version: info.version,
    address: { hostname: info.address.hostname, ip: info.address.ip, port: info.address.port },
    capabilities: info.capabilities.map((c) => ({ type: c.type })),
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

const PID = /^[^@]+@([^:]+):(\d+)$/;

const MasterInfoJsonSchema = z
  .object({
    id: z.string().min(1),
    ip: int,
    port: int,
    pid: z.string().regex(PID, "expected 'master@<ip>:<port>'").optional(),
    hostname: z.string().optional(),
    version: z.string().optional(),
    address: z.object({ hostname: z.string().optional(), ip: z.string().optional(), port: int }).optional(),
    capabilities: z.array(z.object({ type: z.string() })).optional(),
  })
  .refine((m) => m.pid !== undefined || m.address?.ip !== undefined, 'has neither pid nor address.ip');

/**
 * Reads node data written by us or by a Mesos master. Fields Mesos marks optional are filled in
 * from the others (`address` from `pid` and back). Throws an `INVALID_CALL` error naming the
 * problem when the data is not such JSON.
 */
export function decodeMasterInfo(data: Buffer): MasterInfo {
  const raw = parseWith(
    MasterInfoJsonSchema,
    parseJsonText(data.toString('utf8'), 'MasterInfo'),
    'MasterInfo',
  );
  const pidMatch = raw.pid === undefined ? null : PID.exec(raw.pid);
  const ip = raw.address?.ip ?? pidMatch?.[1] ?? '';
  const port = raw.address?.port ?? raw.port;
  const hostname = raw.hostname ?? raw.address?.hostname ?? ip;
  return {
    id: raw.id,
    ip: raw.ip,
    port: raw.port,
    pid: raw.pid ?? `master@${ip}:${port}`,
    hostname,
    version: raw.version ?? '',
    address: { hostname: raw.address?.hostname ?? hostname, ip, port },
    capabilities: raw.capabilities ?? [],
  };
}
