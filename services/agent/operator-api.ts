/**
 * The agent's operator surface: the v1 operator API's read calls (`POST /api/v1`) and CORS on the
 * read endpoints the web UI uses from the master's origin (`/state`, `/files/read`,
 * `/files/browse`, `/monitor/statistics`). Allowing any origin exposes nothing new: Mesos serves
 * the same data to any page through JSONP, and meso has no authentication yet.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { invalidCall } from '../core/errors.js';
import { int } from '../core/v1/common.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import {
  bodyErrorHandler,
  bodyText,
  handle,
  rawTextBody,
  requireJsonCall,
} from '../transport/http-errors.js';
import type { AgentHttpView } from './http.js';
import {
  v1AgentContainers,
  v1AgentExecutors,
  v1AgentFrameworks,
  v1AgentInfo,
  v1AgentTasks,
  v1FileInfo,
} from './operator-json.js';
import { versionJson } from './state-json.js';

const AGENT_CALLS = [
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_STATE',
  'GET_CONTAINERS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_TASKS',
  'GET_AGENT',
  'LIST_FILES',
  'READ_FILE',
] as const;
type AgentCallType = (typeof AGENT_CALLS)[number];

const nonNegative = int.pipe(z.number().min(0, 'must not be negative'));
const AgentOperatorCallSchema = z.object({
  type: z.string().min(1, 'must name a call'),
  list_files: z.object({ path: z.string().min(1) }).optional(),
  read_file: z
    .object({ path: z.string().min(1), offset: nonNegative.default(0), length: nonNegative.optional() })
    .optional(),
});
type AgentOperatorCall = z.infer<typeof AgentOperatorCallSchema>;

const CORS_READ_PATHS = [
  '/state',
  '/state.json',
  '/files/read',
  '/files/read.json',
  '/files/browse',
  '/files/browse.json',
  '/monitor/statistics',
  '/monitor/statistics.json',
];

/** Mount after the process-prefix rewrite and before the read routes; `view` is undefined while the agent starts. */
export function agentOperatorRouter(view: () => AgentHttpView | undefined): express.Router {
  const router = express.Router();
  router.get(CORS_READ_PATHS, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  router.all(
    '/api/v1',
    rawTextBody(),
    handle(async (req, res) => {
      requireJsonCall(req);
      const call = parseWith(AgentOperatorCallSchema, parseJsonText(bodyText(req, 'Call'), 'Call'), 'Call');
      if (!(AGENT_CALLS as readonly string[]).includes(call.type)) {
        throw invalidCall(
          `Call '${call.type}' is not supported by the agent; expected one of ${AGENT_CALLS.join(', ')}`,
        );
      }
      const agent = view();
      if (agent === undefined) {
        res.status(503).type('text/plain').send('Agent is starting');
        return;
      }
      const type = call.type as AgentCallType;
      res.json({ type, [type.toLowerCase()]: await answer(agent, type, call) });
    }),
  );
  router.use(bodyErrorHandler);
  return router;
}

async function answer(
  agent: AgentHttpView,
  type: AgentCallType,
  call: AgentOperatorCall,
): Promise<Record<string, unknown>> {
  switch (type) {
    case 'GET_HEALTH':
      return { healthy: true };
    case 'GET_FLAGS':
      return { flags: Object.entries(agent.flags()).map(([name, value]) => ({ name, value })) };
    case 'GET_VERSION':
      return { version_info: versionJson() };
    case 'GET_STATE': {
      const state = agent.describe();
      return {
        get_tasks: v1AgentTasks(state),
        get_executors: v1AgentExecutors(state),
        get_frameworks: v1AgentFrameworks(state),
      };
    }
    case 'GET_CONTAINERS':
      return v1AgentContainers(agent.describe());
    case 'GET_FRAMEWORKS':
      return v1AgentFrameworks(agent.describe());
    case 'GET_EXECUTORS':
      return v1AgentExecutors(agent.describe());
    case 'GET_TASKS':
      return v1AgentTasks(agent.describe());
    case 'GET_AGENT':
      return { agent_info: v1AgentInfo(agent.describe()) };
    case 'LIST_FILES': {
      const { path } = required(call.list_files, 'list_files');
      return { file_infos: (await agent.files.browse(path)).map(v1FileInfo) };
    }
    case 'READ_FILE': {
      const { path, offset, length } = required(call.read_file, 'read_file');
      // `read` at offset -1 answers the file's size as its offset.
      const size = (await agent.files.read(path, -1, undefined)).offset;
      const chunk = await agent.files.read(path, offset, length);
      return { size, data: Buffer.from(chunk.data, 'utf8').toString('base64') };
    }
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw invalidCall(`Expecting '${field}' to be present`);
  return value;
}
