/**
 * The master's operator surface: the v1 operator API (`POST /api/v1`, also `/master/api/v1`) and
 * the web UI that uses it. Both are leader-only: a standby answers through `requireLeader`
 * (redirect to the leader, or 503 without one).
 */
import express from 'express';
import { type Clock, systemClock } from '../../core/clock.js';
import { parseJsonText, parseWith } from '../../core/validation.js';
import { HttpEventStream } from '../../transport/event-stream.js';
import { bodyText, handle, rawTextBody, requireJsonCall } from '../../transport/http-errors.js';
import type { Master } from '../master.js';
import { implementedCall, OperatorCallSchema } from './calls.js';
import { answerCall, type OperatorContext } from './master-calls.js';
import { OfferStats } from './offer-stats.js';
import { OperatorSubscribers } from './subscribers.js';
import type { Json } from './v1-json.js';
import { type LeaderGate, webuiRouter } from './webui-route.js';

export interface OperatorOptions extends Partial<Omit<OperatorContext, 'master' | 'offerCounts'>> {
  /** Heartbeats on operator streams. @default systemClock */
  readonly clock?: Clock;
  /** @default 15000 (Mesos's fixed value) */
  readonly heartbeatIntervalMs?: number;
  /** Mesos `--max_operator_event_stream_subscribers`. @default 1000 */
  readonly maxSubscribers?: number;
}

const OPERATOR_API_PATHS = ['/api/v1', '/master/api/v1'];

/** Builds the router once per master: offer counters and the event stream start with it. */
export function operatorRouter(
  master: Master,
  requireLeader: LeaderGate,
  options: OperatorOptions = {},
): express.Router {
  const offerStats = new OfferStats(master.events);
  const ctx: OperatorContext = { ...options, master, offerCounts: (fw) => offerStats.get(fw.id) };
  const subscribers = new OperatorSubscribers(master, {
    clock: options.clock ?? systemClock,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    maxSubscribers: options.maxSubscribers ?? 1000,
    offerCounts: ctx.offerCounts,
  });

  const router = express.Router();
  router.all(
    OPERATOR_API_PATHS,
    rawTextBody(),
    handle(async (req, res) => {
      if (!(await requireLeader(req, res))) return;
      requireJsonCall(req);
      const call = parseWith(OperatorCallSchema, parseJsonText(bodyText(req, 'Call'), 'Call'), 'Call');
      const type = implementedCall(call.type);
      if (type === 'SUBSCRIBE') {
        subscribers.add(new HttpEventStream<Json>(res));
        return;
      }
      const answer = await answerCall(ctx, type, call);
      if (answer.body === undefined) res.status(answer.status).end();
      else res.status(answer.status).json(answer.body);
    }),
  );
  router.use(webuiRouter(requireLeader));
  return router;
}
