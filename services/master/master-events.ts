/**
 * What happens in the master, as typed events: the operator API's event stream and the metrics
 * module subscribe here instead of reaching into the master's bookkeeping. Listeners run
 * synchronously and must not throw; a throwing listener is removed so one bad consumer cannot
 * break the master.
 */
import type { TaskStatus } from '../core/v1/tasks.js';
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from './records.js';

export type MasterEvent =
  | { readonly type: 'TASK_ADDED'; readonly task: TaskRecord }
  | { readonly type: 'TASK_UPDATED'; readonly task: TaskRecord; readonly status: TaskStatus }
  | { readonly type: 'AGENT_ADDED'; readonly agent: AgentRecord }
  /** The operator deactivated, drained or reactivated the agent, or its drain state changed. */
  | { readonly type: 'AGENT_UPDATED'; readonly agent: AgentRecord }
  | { readonly type: 'AGENT_REMOVED'; readonly agent: AgentRecord }
  | { readonly type: 'FRAMEWORK_ADDED'; readonly framework: FrameworkRecord }
  | { readonly type: 'FRAMEWORK_UPDATED'; readonly framework: FrameworkRecord }
  | { readonly type: 'FRAMEWORK_REMOVED'; readonly framework: FrameworkRecord }
  | { readonly type: 'OFFER_SENT'; readonly offer: OfferRecord }
  | { readonly type: 'OFFER_DECLINED'; readonly offer: OfferRecord }
  | { readonly type: 'OFFER_ACCEPTED'; readonly offer: OfferRecord }
  | { readonly type: 'OFFER_RESCINDED'; readonly offer: OfferRecord };

export type MasterEventListener = (event: MasterEvent) => void;

export class MasterEventBus {
  private readonly listeners = new Set<MasterEventListener>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: MasterEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: MasterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
