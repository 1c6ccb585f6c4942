import type { DockerContainerState } from '../containerizer/docker/docker-types.js';

/** A `docker inspect` answer for unit tests: an exited, unlabelled busybox container, with `overrides`. */
export const dockerState = (overrides: Partial<DockerContainerState> = {}): DockerContainerState => ({
  dockerId: 'd',
  name: 'task',
  running: false,
  exitCode: 0,
  oomKilled: false,
  error: '',
  labels: {},
  cpusLimit: 0,
  networkMode: 'bridge',
  startedAtMs: 0,
  image: 'busybox',
  networks: [],
  ipAddress: '',
  ...overrides,
});
