/** The scheduler SDK: what a framework uses to subscribe, receive offers and send calls. */
export { type BackoffPolicy } from './backoff.js';
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
