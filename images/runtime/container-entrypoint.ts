/**
 * Entry point of the daemon images (`meso/master`, `meso/agent`): fills in what only the container
 * knows, then runs the `meso` command in this same process (arguments as given, e.g. `master`).
 *
 * - `meso master` advertises `--ip` (`MESO_IP`) to agents and frameworks; its default, 127.0.0.1,
 *   is unreachable from other containers. When `MESO_IP` is unset, the container's first
 *   non-internal IPv4 address is used, which is what peers on its network reach it at.
 *   (`meso agent` already advertises that address by default.)
 *
 * Everything else comes from flags or `MESO_*` variables, as outside a container.
 */
import { networkInterfaces } from 'node:os';

function primaryIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (address !== undefined) return address.address;
  }
  return undefined;
}

if (process.argv[2] === 'master' && process.env.MESO_IP === undefined) {
  const ip = primaryIpv4();
  if (ip !== undefined) process.env.MESO_IP = ip;
}

// A computed specifier keeps the command's modules out of this file's compilation.
const command = new URL('../../services/cmd/meso.js', import.meta.url).href;
await import(command);
