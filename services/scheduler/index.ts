/** The scheduler SDK: what a framework uses to subscribe, receive offers and send calls. */
export { backoffDelayMs, type BackoffPolicy } from './backoff.js';
export { describeError, SchedulerCallError, SchedulerError, type SchedulerErrorCode } from './errors.js';
export { fitTask, type FitResult, type OfferResources, type TaskNeeds } from './offer-matching.js';
export type { FrameworkInfoInput, LaunchTaskInput, OperationInput, ReconcileTask } from './call-types.js';
export {
  SchedulerClient,
  type SchedulerClientOptions,
  type SchedulerClientState,
} from './scheduler-client.js';
export { detectedMaster, type MasterLocator, masterUrlOf, staticMaster } from './master-locator.js';
export { sleep } from './sleep.js';
export {
  checkConstraint,
  checkConstraints,
  type Constraint,
  CONSTRAINT_OPERATORS,
  type ConstraintOperator,
  constraintProblem,
  ConstraintSchema,
  type ConstraintVerdict,
  describeConstraint,
  fieldValue,
  type PlacementSite,
} from './constraints.js';
export {
  type OfferConsideration,
  type Placement,
  type PlacementPlan,
  type PlacementRequest,
  planPlacements,
  siteOf,
} from './placement.js';
export {
  FileFrameworkIdStore,
  type FrameworkIdStore,
  InMemoryFrameworkIdStore,
  openZkFrameworkIdStore,
  registryFrameworkIdStore,
} from './framework-id-store.js';
export {
  DEFAULT_FAILOVER_TIMEOUT_SECONDS,
  Framework,
  type FrameworkHandlers,
  type FrameworkOptions,
  type FrameworkState,
  type OfferLaunch,
} from './framework.js';
