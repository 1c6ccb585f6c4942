/**
 * Which container the agent itself runs in, when it runs in one: found from
 * `/proc/self/mountinfo` (the engine bind-mounts `/etc/hostname` and friends from
 * `.../docker/containers/<id>/`), else `/proc/self/cgroup` (`/docker/<id>` on cgroup v1), else the
 * hostname (Docker's default hostname is the short id) when `/.dockerenv` says we are in a
 * container at all. `container:self` networking, the network keeper and the `{container}` work dir
 * build on it.
 */
import { access, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { DockerApi } from './docker-api.js';
import type { DockerContainerState } from './docker-types.js';

const MOUNTINFO_ID = /\/docker\/containers\/([0-9a-f]{64})\//;
const CGROUP_ID = /\/docker\/([0-9a-f]{64})(?:[^0-9a-f]|$)/;

/** The container id in `/proc/self/mountinfo` text, if any mount comes from the engine's container dir. */
export function containerIdFromMountinfo(text: string): string | undefined {
  return MOUNTINFO_ID.exec(text)?.[1];
}

/** The container id in `/proc/self/cgroup` text (cgroup v1 or a v2 host with docker's cgroup paths). */
export function containerIdFromCgroup(text: string): string | undefined {
  return CGROUP_ID.exec(text)?.[1];
}

/** What self-detection reads; replaced in tests. */
export interface SelfProbe {
  readonly readText: (path: string) => Promise<string | undefined>;
  readonly exists: (path: string) => Promise<boolean>;
  readonly hostname: () => string;
}

export const procSelfProbe: SelfProbe = {
  readText: (path) => readFile(path, 'utf8').catch(() => undefined),
  exists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  hostname,
};

/** The agent's own container id (or hostname), or `undefined` when the agent is not in a container. */
export async function detectSelfContainer(probe: SelfProbe = procSelfProbe): Promise<string | undefined> {
  const fromMounts = containerIdFromMountinfo((await probe.readText('/proc/self/mountinfo')) ?? '');
  if (fromMounts !== undefined) return fromMounts;
  const fromCgroup = containerIdFromCgroup((await probe.readText('/proc/self/cgroup')) ?? '');
  if (fromCgroup !== undefined) return fromCgroup;
  return (await probe.exists('/.dockerenv')) ? probe.hostname() : undefined;
}

/**
 * The agent's own container as the engine describes it, or `undefined` outside a container. Its
 * name (`meso-agent-2` for a compose replica), unlike its id or default hostname, survives the
 * container being recreated from a new image.
 */
export async function selfContainer(
  api: Pick<DockerApi, 'inspect'>,
  probe: SelfProbe = procSelfProbe,
): Promise<DockerContainerState | undefined> {
  const self = await detectSelfContainer(probe);
  if (self === undefined) return undefined;
  const state = await api.inspect(self);
  if (state === undefined) throw new Error(`the engine does not know this agent's container ${self}`);
  return state;
}
