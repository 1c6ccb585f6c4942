/**
 * The Mesos API version meso speaks, reported where Mesos reports its own version. Clients gate
 * features on it, so it names the Mesos release whose v1 APIs we implement.
 */
export const MESO_VERSION = '1.11.0';
/** meso's own release. */
export const MESO_RELEASE = '0.1.0';
