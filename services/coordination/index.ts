/**
 * Leader election, leader detection and the registry store. Callers depend on the seams
 * (`MasterContender`, `MasterDetector`, `RegistryStore`); composition roots pick the standalone or
 * the ZooKeeper implementations.
 */
export type {
  Candidacy,
  CandidacyLoss,
  CandidacyLossReason,
  CandidacyState,
  LeadershipObserver,
  MasterContender,
} from './contender.js';
export { leaderChanges, sameLeader, type MasterDetector } from './detector.js';
export { CoordinationError, type CoordinationFailure } from './errors.js';
export {
  InMemoryRegistryStore,
  RegistryConflictError,
  type RegistryDecoder,
  type RegistryStore,
  type VersionedValue,
} from './registry-store.js';
export { StandaloneContender, StandaloneDetector } from './standalone.js';
export type { RetryPolicy } from './zookeeper/session-term.js';
export {
  DEFAULT_ZK_SESSION_TIMEOUT_MS,
  openZkRegistryStore,
  startZkMasterDetector,
  zkMasterContender,
  type ZkCoordinationOptions,
} from './zookeeper/zk-coordination.js';
export { formatZkUrl, parseZkUrl, type ZkCredentials, type ZkServer, type ZkUrl } from './zk-url.js';
