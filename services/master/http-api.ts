/**
 * The master's HTTP surface: the v1 scheduler API, the agent protocol endpoint and Mesos's legacy
 * read endpoints, each reachable under `/master/...` and the short form, as Mesos serves them.
 * Only this file (and the agent's) imports express.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { AGENT_API_PATH, AgentCallSchema, type AgentEvent } from '../core/agent-protocol.js';
import { invalidCall, MesoError } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import { SchedulerCallSchema, type SchedulerEvent } from '../core/v1/scheduler.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import type { Logger } from '../log/logger.js';
import { HttpEventStream } from '../transport/event-stream.js';
import {
  bodyErrorHandler,
  bodyText,
  handle,
  rawTextBody,
  requireJsonCall,
  sendError,
} from '../transport/http-errors.js';
import { leaderLocation, type Leadership } from './leadership.js';
import type { Master } from './master.js';
import { type OperatorOptions, operatorRouter } from './operator/router.js';
import {
  frameworkJson,
  agentJson,
  recoveredAgentsJson,
  stateJson,
  stateSummaryJson,
  tasksJson,
  versionJson,
} from './state-json.js';

const both = (path: string): string[] => [path, `/master${path}`];

/**
 * How long a leader-only request waits for a newly elected master to finish recovering its
 * registry (usually milliseconds) before it is answered 503, so that agents and schedulers that
 * detected the new leader at once are not turned away into their backoff.
 */
const RECOVERY_WAIT_MS = 5000;

export function createMasterApp(
  master: Master,
  leadership: Leadership,
  log: Logger,
  operator: OperatorOptions = {},
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  /**
   * Leader-only endpoints: a standby answers 307 to the leader, or 503 when there is none; a
   * master still recovering answers 503 once `RECOVERY_WAIT_MS` has passed.
   */
  const requireLeader = async (req: Request, res: Response): Promise<boolean> => {
    const status = await leadership.settled(RECOVERY_WAIT_MS);
    if (status === 'leading') return true;
    if (status === 'recovering') {
      sendError(res, new MesoError('NO_LEADER', 'Master has not finished recovery'));
      return false;
    }
    const leader = leadership.leader();
    if (leader === undefined) {
      sendError(res, new MesoError('NO_LEADER', 'No leader elected'));
      return false;
    }
    res.redirect(307, `${leaderLocation(leader)}${req.originalUrl}`);
    return false;
  };

  app.all(
    both('/api/v1/scheduler'),
    rawTextBody(),
    handle(async (req, res) => {
      if (!(await requireLeader(req, res))) return;
      requireJsonCall(req);
      const call = parseWith(SchedulerCallSchema, parseJsonText(bodyText(req, 'Call'), 'Call'), 'Call');
      const streamIdHeader = req.header('Mesos-Stream-Id');
      if (call.type === 'SUBSCRIBE') {
        if (streamIdHeader !== undefined)
          throw invalidCall("Subscribe calls should not include the 'Mesos-Stream-Id' header");
        const streamId = randomUUID();
        const sink = new HttpEventStream<SchedulerEvent>(res, { 'Mesos-Stream-Id': streamId });
        master.subscribe(call, sink, streamId);
        return;
      }
      const fw = master.authorizeCall(call.framework_id, streamIdHeader);
      master.handleCall(fw, call);
      res.status(202).end();
    }),
  );

  app.all(
    AGENT_API_PATH,
    rawTextBody(),
    handle(async (req, res) => {
      if (!(await requireLeader(req, res))) return;
      requireJsonCall(req);
      const call = parseWith(
        AgentCallSchema,
        parseJsonText(bodyText(req, 'agent call'), 'agent call'),
        'agent call',
      );
      if (call.type === 'REGISTER') {
        if (call.register === undefined) throw invalidCall("Expecting 'register' to be present");
        master.agents.register(call.register, new HttpEventStream<AgentEvent>(res));
        return;
      }
      const agentId = call.agent_id?.value as AgentId | undefined;
      if (agentId === undefined) throw invalidCall("Expecting 'agent_id' to be present");
      switch (call.type) {
        case 'PING':
          if (!master.agents.ping(agentId))
            throw new MesoError('NOT_FOUND', `Agent '${agentId}' is not registered`);
          res.status(200).json({});
          return;
        case 'UPDATE':
          if (call.update === undefined) throw invalidCall("Expecting 'update' to be present");
          master.agents.update(agentId, call.update);
          res.status(202).end();
          return;
        case 'EXECUTOR_MESSAGE':
          if (call.executor_message === undefined)
            throw invalidCall("Expecting 'executor_message' to be present");
          master.agents.executorMessage(agentId, call.executor_message);
          res.status(202).end();
          return;
      }
    }),
  );

  /** Read endpoints only the leader can answer (a standby's view is empty): 307 elsewhere. */
  const readOnly = (path: string | string[], render: (req: Request) => unknown): void => {
    app.get(
      path,
      handle(async (req, res) => {
        if (!(await requireLeader(req, res))) return;
        res.json(render(req));
      }),
    );
  };

  // Every master answers `/state` itself, naming the leader (Mesos does the same on standbys).
  app.get([...both('/state'), ...both('/state.json')], (_req, res) => {
    res.json(stateJson(master, { leader: leadership.leader(), electedTimeSec: leadership.electedTimeSec() }));
  });
  readOnly(both('/state-summary'), () => stateSummaryJson(master));
  readOnly(both('/frameworks'), (req) => {
    const id = queryString(req, 'framework_id');
    const pick = <T extends { id: string }>(list: T[]): T[] =>
      list.filter((f) => id === undefined || f.id === id);
    return {
      frameworks: pick([...master.frameworks.values()]).map((fw) => frameworkJson(master, fw)),
      completed_frameworks: pick(master.completedFrameworks).map((fw) => frameworkJson(master, fw)),
      unregistered_frameworks: [],
    };
  });
  readOnly(both('/slaves'), (req) => {
    const id = queryString(req, 'slave_id');
    return {
      slaves: [...master.agents.all()]
        .filter((a) => a.state !== 'unreachable' && (id === undefined || a.id === id))
        .map((a) => agentJson(master, a)),
      recovered_slaves: recoveredAgentsJson(master),
    };
  });
  readOnly(both('/tasks'), (req) => {
    const order = queryString(req, 'order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc')
      throw invalidCall(`'order' must be 'asc' or 'desc'; received '${order}'`);
    const frameworkId = queryString(req, 'framework_id');
    const taskId = queryString(req, 'task_id');
    return tasksJson(master, {
      limit: queryInt(req, 'limit', 100),
      offset: queryInt(req, 'offset', 0),
      order,
      ...(frameworkId !== undefined && { frameworkId }),
      ...(taskId !== undefined && { taskId }),
    });
  });
  // This master's own flags: every master answers.
  app.get(both('/flags'), (_req, res) => {
    res.json({ flags: master.config.flags });
  });

  app.get(both('/redirect'), (_req, res) => {
    const leader = leadership.leader();
    if (leader === undefined) sendError(res, new MesoError('NO_LEADER', 'No leader elected'));
    else res.redirect(307, leaderLocation(leader));
  });
  app.get(both('/health'), (_req, res) => {
    res.status(200).end();
  });
  app.get(both('/version'), (_req, res) => {
    res.json(versionJson());
  });

  app.use(
    operatorRouter(master, requireLeader, { electedTimeSec: () => leadership.electedTimeSec(), ...operator }),
  );
  app.use((req, res) =>
    sendError(res, new MesoError('NOT_FOUND', `No endpoint at '${req.method} ${req.path}'`)),
  );
  app.use(bodyErrorHandler);
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    log.error('request failed', { err: String(err) });
    sendError(res, err);
  });
  return app;
}

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function queryInt(req: Request, name: string, fallback: number): number {
  const raw = queryString(req, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw invalidCall(`'${name}' must be a non-negative integer; received '${raw}'`);
  return value;
}
