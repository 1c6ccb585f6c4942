/**
 * The operator event stream (`SUBSCRIBE` on `/api/v1`): each subscriber first gets `SUBSCRIBED`
 * with the whole `GET_STATE`, then `HEARTBEAT` at once and every `heartbeatIntervalMs`, and in
 * between the master's task, agent and framework events as `mesos.v1.master.Event`s.
 *
 * Events are rendered once per event (not per subscriber) and only while someone listens. They
 * are rendered at the end of the current turn of the event loop, in the order they happened: the
 * master emits some events half-way through a change (a framework is announced before its
 * connection is attached), and subscribers should see the state the change leaves behind.
 *
 * Beyond `maxSubscribers` the oldest subscriber is disconnected, as Mesos does
 * (`--max_operator_event_stream_subscribers`), so a leak of streams cannot exhaust the master.
 */
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../transport/event-stream.js';
import type { MasterEvent } from '../master-events.js';
import type { Master } from '../master.js';
import type { FrameworkRecord } from '../records.js';
import type { OfferCounts } from './offer-stats.js';
import { filteredAgentCounts, type Json, v1Agent, v1Framework, v1State, v1Task } from './v1-json.js';

export interface SubscribersOptions {
  readonly clock: Clock;
  /** Mesos fixes this at 15 s. */
  readonly heartbeatIntervalMs: number;
  /** Mesos `--max_operator_event_stream_subscribers`, default 1000. */
  readonly maxSubscribers: number;
  readonly offerCounts: (fw: FrameworkRecord) => OfferCounts | undefined;
}

export class OperatorSubscribers {
  /** Each subscriber with the cancel function of its next heartbeat; insertion order is age. */
  private readonly subscribers = new Map<EventSink<Json>, () => void>();
  private pending: MasterEvent[] = [];

  constructor(
    private readonly master: Master,
    private readonly options: SubscribersOptions,
  ) {
    master.events.subscribe((event) => this.enqueue(event));
  }

  /** Starts streaming to `sink`; the stream ends when the client goes away or is evicted. */
  add(sink: EventSink<Json>): void {
    // Events still queued happened before the snapshot below: deliver them to the others now so
    // the new subscriber does not receive them twice.
    this.flush();
    if (this.subscribers.size >= this.options.maxSubscribers) {
      const oldest = this.subscribers.keys().next().value;
      oldest?.close();
    }
    sink.send({
      type: 'SUBSCRIBED',
      subscribed: {
        get_state: v1State(this.master, this.options.offerCounts),
        heartbeat_interval_seconds: this.options.heartbeatIntervalMs / 1000,
      },
    });
    sink.send({ type: 'HEARTBEAT' });
    this.scheduleHeartbeat(sink);
    sink.onClose(() => {
      this.subscribers.get(sink)?.();
      this.subscribers.delete(sink);
    });
  }

  private scheduleHeartbeat(sink: EventSink<Json>): void {
    if (sink.closed) return;
    const cancel = this.options.clock.after(this.options.heartbeatIntervalMs, () => {
      sink.send({ type: 'HEARTBEAT' });
      this.scheduleHeartbeat(sink);
    });
    this.subscribers.set(sink, cancel);
  }

  private enqueue(event: MasterEvent): void {
    if (this.subscribers.size === 0) return;
    this.pending.push(event);
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const events = this.pending;
    this.pending = [];
    for (const event of events) {
      const rendered = this.render(event);
      if (rendered === undefined) continue;
      for (const sink of this.subscribers.keys()) sink.send(rendered);
    }
  }

  private render(event: MasterEvent): Json | undefined {
    switch (event.type) {
      case 'TASK_ADDED':
        return { type: 'TASK_ADDED', task_added: { task: v1Task(event.task) } };
      case 'TASK_UPDATED':
        return {
          type: 'TASK_UPDATED',
          task_updated: {
            framework_id: { value: event.task.frameworkId },
            status: event.status,
            state: event.task.state,
          },
        };
      case 'AGENT_ADDED':
      case 'AGENT_UPDATED':
        // Mesos's stream has no agent update: it announces an agent's new deactivation or drain
        // state in another AGENT_ADDED with the whole agent, which clients treat as an upsert.
        return { type: 'AGENT_ADDED', agent_added: { agent: v1Agent(this.master, event.agent) } };
      case 'AGENT_REMOVED':
        return { type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: event.agent.id } } };
      case 'FRAMEWORK_ADDED':
        return { type: 'FRAMEWORK_ADDED', framework_added: { framework: this.framework(event.framework) } };
      case 'FRAMEWORK_UPDATED':
        return {
          type: 'FRAMEWORK_UPDATED',
          framework_updated: { framework: this.framework(event.framework) },
        };
      case 'FRAMEWORK_REMOVED':
        return { type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: event.framework.info } };
      default:
        // Offer events are not part of Mesos's operator stream.
        return undefined;
    }
  }

  private framework(fw: FrameworkRecord): Json {
    const filtered = filteredAgentCounts(this.master).get(fw.id) ?? 0;
    return v1Framework(this.master, fw, this.options.offerCounts(fw), filtered);
  }
}
