/**
 * Validation of the events a master writes on the SUBSCRIBE stream, so framework code receives
 * typed `SchedulerEvent`s and never touches raw JSON.
 */
import { z } from 'zod';
import { type MasterInfo, OfferSchema } from '../core/v1/cluster.js';
import { IdSchema, int, num } from '../core/v1/common.js';
import type { SchedulerEvent } from '../core/v1/scheduler.js';
import { TaskStatusSchema } from '../core/v1/tasks.js';
import { parseWith } from '../core/validation.js';
import type { Logger } from '../log/logger.js';
import { describeError } from './errors.js';

/** Mesos's heartbeat interval, used until SUBSCRIBED says otherwise (it is always 15 s in Mesos). */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 15;

const MasterInfoSchema = z
  .object({
    id: z.string(),
    ip: int,
    port: int,
    pid: z.string().default(''),
    hostname: z.string().default(''),
    version: z.string().default(''),
    address: z.object({ hostname: z.string().default(''), ip: z.string().default(''), port: int }).optional(),
    capabilities: z.array(z.object({ type: z.string() })).default([]),
  })
  .transform((m): MasterInfo => ({
    ...m,
    address: m.address ?? { hostname: m.hostname, ip: '', port: m.port },
  }));

const SchedulerEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('SUBSCRIBED'),
    subscribed: z.object({
      framework_id: IdSchema,
      heartbeat_interval_seconds: num.default(DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
      master_info: MasterInfoSchema,
    }),
  }),
  z.object({ type: z.literal('OFFERS'), offers: z.object({ offers: z.array(OfferSchema).default([]) }) }),
  z.object({ type: z.literal('RESCIND'), rescind: z.object({ offer_id: IdSchema }) }),
  z.object({ type: z.literal('UPDATE'), update: z.object({ status: TaskStatusSchema }) }),
  z.object({
    type: z.literal('MESSAGE'),
    message: z.object({ agent_id: IdSchema, executor_id: IdSchema, data: z.string().default('') }),
  }),
  z.object({
    type: z.literal('FAILURE'),
    failure: z.object({
      agent_id: IdSchema.optional(),
      executor_id: IdSchema.optional(),
      status: int.optional(),
    }),
  }),
  z.object({ type: z.literal('ERROR'), error: z.object({ message: z.string().default('') }) }),
  z.object({ type: z.literal('HEARTBEAT') }),
]);

const KNOWN_TYPES: ReadonlySet<string> = new Set(SchedulerEventSchema.options.map((o) => o.shape.type.value));

/**
 * Turns one decoded record into a `SchedulerEvent`. Returns `undefined` for event types this SDK
 * does not model (INVERSE_OFFERS, RESCIND_INVERSE_OFFER, UPDATE_OPERATION_STATUS, future ones), so
 * a newer master does not break an older framework. Throws an INVALID_CALL `MesoError` naming the
 * offending fields when a known event is malformed.
 */
export function parseSchedulerEvent(raw: unknown): SchedulerEvent | undefined {
  const type = rawEventType(raw);
  if (!KNOWN_TYPES.has(type)) return undefined;
  const event: SchedulerEvent = parseWith(SchedulerEventSchema, raw, `${type} event`);
  return event;
}

/** The type tag of a raw record, for logs. */
const rawEventType = (raw: unknown): string =>
  typeof raw === 'object' && raw !== null && 'type' in raw ? String(raw.type) : '(none)';

/**
 * `parseSchedulerEvent` for a live stream: unsupported and malformed events are logged and
 * skipped rather than ending the stream (an unacknowledged update is resent by the agent anyway).
 */
export function decodeEvent(raw: unknown, log: Logger): SchedulerEvent | undefined {
  try {
    const event = parseSchedulerEvent(raw);
    if (event === undefined) log.debug('unsupported event skipped', { type: rawEventType(raw) });
    return event;
  } catch (err) {
    log.error('malformed event skipped', { type: rawEventType(raw), err: describeError(err) });
    return undefined;
  }
}
