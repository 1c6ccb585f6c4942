/**
 * `POST /api/v1/executor` (and `/slave(1)/api/v1/executor`, after the prefix rewrite): the v1
 * executor API a custom executor calls back to (mesos-http-api.md §3.1). SUBSCRIBE answers a
 * RecordIO event stream; UPDATE, MESSAGE and HEARTBEAT answer 202. Errors: 503 while the agent
 * recovers, 400 for a malformed call or an unknown framework or executor, 403 for a call of an
 * executor that has not subscribed, 405/415/406 as for every v1 API.
 */
import express from 'express';
import type { Logger } from '../log/logger.js';
import { HttpEventStream } from '../transport/event-stream.js';
import {
  bodyErrorHandler,
  bodyText,
  handle,
  rawTextBody,
  requireJsonCall,
} from '../transport/http-errors.js';
import { parseJsonText } from '../core/validation.js';
import type { CustomExecutors } from './custom-executors.js';
import { type ExecutorEvent, parseExecutorCall } from './executor-calls.js';

export const EXECUTOR_API_PATH = '/api/v1/executor';

/** What the route needs; `undefined` while the agent is starting (recovering its checkpoint). */
export type ExecutorApi = Pick<CustomExecutors, 'subscribe' | 'update' | 'message' | 'heartbeatCall'>;

export function executorApiRouter(api: () => ExecutorApi | undefined, log: Logger): express.Router {
  const router = express.Router();
  router.all(
    EXECUTOR_API_PATH,
    rawTextBody(),
    handle((req, res) => {
      requireJsonCall(req);
      const call = parseExecutorCall(parseJsonText(bodyText(req, 'Call'), 'Call'));
      const executors = api();
      if (executors === undefined) {
        res.status(503).type('text/plain').send('Agent has not finished recovery');
        return;
      }
      log.debug('executor call received', {
        type: call.type,
        frameworkId: call.framework_id.value,
        executorId: call.executor_id.value,
      });
      switch (call.type) {
        case 'SUBSCRIBE':
          executors.subscribe(call, () => new HttpEventStream<ExecutorEvent>(res));
          return;
        case 'UPDATE':
          executors.update(call);
          break;
        case 'MESSAGE':
          executors.message(call);
          break;
        case 'HEARTBEAT':
          executors.heartbeatCall(call);
          break;
      }
      res.status(202).end();
    }),
  );
  router.use(bodyErrorHandler);
  return router;
}
