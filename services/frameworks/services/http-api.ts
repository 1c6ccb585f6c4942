/**
 * The services framework's REST API (Marathon-like paths under `/v2`). Bodies are JSON or YAML
 * (by `Content-Type`); answers are JSON; errors are plain text naming the problem, with the status
 * from the one code-to-status table (400 invalid, 404 unknown app, 409 id taken).
 *
 *   GET    /v2/apps                 every app with its tasks, health, deployment and waiting reason
 *   POST   /v2/apps                 create an app (201)
 *   GET    /v2/apps/:id
 *   PUT    /v2/apps/:id             create or replace (a changed definition rolls out a new version)
 *   POST   /v2/apps/:id/scale       { "instances": n }
 *   POST   /v2/apps/:id/restart     replace every task, following the upgrade strategy
 *   DELETE /v2/apps/:id             kill the app's tasks and forget it
 *   GET    /v2/deployments          apps being upgraded or scaled
 *   GET    /v2/queue                apps missing instances, and why
 */
import { Router } from 'express';
import { z } from 'zod';
import { invalidCall } from '../../core/errors.js';
import { parseWith } from '../../core/validation.js';
import { handle } from '../../transport/http-errors.js';
import { definitionBody, routeParam } from '../common/api-server.js';
import { parseAppDefinition } from './app-definition.js';
import type { ServiceScheduler } from './service-scheduler.js';

const ScaleSchema = z.object({ instances: z.number().int().nonnegative() }).strict();

export function servicesRouter(scheduler: ServiceScheduler): Router {
  const router = Router();
  router.get(
    '/v2/apps',
    handle((_req, res) => void res.json({ apps: scheduler.listApps() })),
  );
  router.post(
    '/v2/apps',
    handle(async (req, res) => {
      const app = await scheduler.putApp(parseAppDefinition(definitionBody(req, 'app definition')), false);
      res.status(201).json({ app });
    }),
  );
  router.get(
    '/v2/apps/:id',
    handle((req, res) => void res.json({ app: scheduler.getApp(routeParam(req, 'id')) })),
  );
  router.put(
    '/v2/apps/:id',
    handle(async (req, res) => {
      const id = routeParam(req, 'id');
      const raw = definitionBody(req, 'app definition');
      const body = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { id, ...raw } : raw;
      const spec = parseAppDefinition(body);
      if (spec.id !== id) throw invalidCall(`id: '${spec.id}' does not match the path's '${id}'`);
      res.json({ app: await scheduler.putApp(spec, true) });
    }),
  );
  router.post(
    '/v2/apps/:id/scale',
    handle(async (req, res) => {
      const { instances } = parseWith(ScaleSchema, definitionBody(req, 'scale request'), 'scale request');
      res.json({ app: await scheduler.scaleApp(routeParam(req, 'id'), instances) });
    }),
  );
  router.post(
    '/v2/apps/:id/restart',
    handle(async (req, res) => void res.json({ app: await scheduler.restartApp(routeParam(req, 'id')) })),
  );
  router.delete(
    '/v2/apps/:id',
    handle(async (req, res) => {
      const id = routeParam(req, 'id');
      await scheduler.deleteApp(id);
      res.json({ deleted: id });
    }),
  );
  router.get(
    '/v2/deployments',
    handle((_req, res) => void res.json({ deployments: scheduler.deployments() })),
  );
  router.get(
    '/v2/queue',
    handle((_req, res) => void res.json({ queue: scheduler.queue() })),
  );
  return router;
}
