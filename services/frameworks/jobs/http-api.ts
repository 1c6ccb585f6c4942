/**
 * The jobs framework's REST API. Bodies are JSON or YAML (by `Content-Type`); answers are JSON;
 * errors are plain text naming the problem (400 invalid, 404 unknown job, 409 conflicts).
 *
 *   GET    /v1/jobs                 every job with its next run time, active runs and last runs
 *   POST   /v1/jobs                 create a job (201)
 *   GET    /v1/jobs/:name
 *   PUT    /v1/jobs/:name           create or replace
 *   DELETE /v1/jobs/:name           kill its runs and forget it (409 while other jobs depend on it)
 *   POST   /v1/jobs/:name/run       run it now (202); 409 under `forbid` while a run is active
 *   GET    /v1/jobs/:name/runs      active runs and the bounded history, newest first
 */
import { Router } from 'express';
import { invalidCall } from '../../core/errors.js';
import { handle } from '../../transport/http-errors.js';
import { definitionBody, routeParam } from '../common/api-server.js';
import { parseJobDefinition } from './job-definition.js';
import type { JobScheduler } from './job-scheduler.js';

export function jobsRouter(scheduler: JobScheduler): Router {
  const router = Router();
  router.get(
    '/v1/jobs',
    handle((_req, res) => void res.json({ jobs: scheduler.listJobs() })),
  );
  router.post(
    '/v1/jobs',
    handle(async (req, res) => {
      const job = await scheduler.putJob(parseJobDefinition(definitionBody(req, 'job definition')), false);
      res.status(201).json({ job });
    }),
  );
  router.get(
    '/v1/jobs/:name',
    handle((req, res) => void res.json({ job: scheduler.getJob(routeParam(req, 'name')) })),
  );
  router.put(
    '/v1/jobs/:name',
    handle(async (req, res) => {
      const name = routeParam(req, 'name');
      const raw = definitionBody(req, 'job definition');
      const body = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { name, ...raw } : raw;
      const spec = parseJobDefinition(body);
      if (spec.name !== name) throw invalidCall(`name: '${spec.name}' does not match the path's '${name}'`);
      res.json({ job: await scheduler.putJob(spec, true) });
    }),
  );
  router.delete(
    '/v1/jobs/:name',
    handle(async (req, res) => {
      const name = routeParam(req, 'name');
      await scheduler.deleteJob(name);
      res.json({ deleted: name });
    }),
  );
  router.post(
    '/v1/jobs/:name/run',
    handle(
      async (req, res) => void res.status(202).json({ run: await scheduler.runNow(routeParam(req, 'name')) }),
    ),
  );
  router.get(
    '/v1/jobs/:name/runs',
    handle((req, res) => void res.json({ runs: scheduler.runs(routeParam(req, 'name')) })),
  );
  return router;
}
