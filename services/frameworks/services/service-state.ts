/**
 * What the services framework keeps in ZooKeeper, and the pure changes made to it. A successor
 * instance reads this and knows every app, its version, and every task launched for it (written
 * *before* the launch, so no task the framework started is ever unknown to it); task states and
 * health are not stored: reconciliation and health checks rebuild them.
 */
import { z } from 'zod';
import { MesoError } from '../../core/errors.js';
import { AttributeSchema } from '../../core/v1/common.js';
import { parseWith } from '../../core/validation.js';
import type { Transition } from '../common/state-document.js';
import { AppDefinitionSchema, type AppSpec, needsNewVersion } from './app-definition.js';

const AppRecordSchema = z.object({
  spec: AppDefinitionSchema,
  /** Bumped by every change that needs new tasks (anything but `instances`), and by restarts. */
  version: z.number().int().nonnegative(),
  versionAtMs: z.number(),
});
export type AppRecord = z.infer<typeof AppRecordSchema>;

const TaskRecordSchema = z.object({
  appId: z.string(),
  version: z.number().int().nonnegative(),
  agentId: z.string(),
  hostname: z.string(),
  /** Address health checks use: the agent's IP from the offer, else its hostname. */
  host: z.string(),
  ports: z.array(z.number().int()),
  attributes: z.array(AttributeSchema).default([]),
  launchedAtMs: z.number(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

export const ServiceStateSchema = z.object({
  frameworkId: z.string().optional(),
  apps: z.record(z.string(), AppRecordSchema).default({}),
  tasks: z.record(z.string(), TaskRecordSchema).default({}),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

export const EMPTY_SERVICE_STATE: ServiceState = { apps: {}, tasks: {} };

export const decodeServiceState = (json: unknown): ServiceState =>
  parseWith(ServiceStateSchema, json, 'stored services state');

const unchanged = <R>(state: ServiceState, result: R): Transition<ServiceState, R> => ({ state, result });

function appOf(state: ServiceState, appId: string): AppRecord {
  const app = state.apps[appId];
  if (app === undefined) throw new MesoError('NOT_FOUND', `app '${appId}' does not exist`);
  return app;
}

const withApp = (state: ServiceState, appId: string, app: AppRecord): ServiceState => ({
  ...state,
  apps: { ...state.apps, [appId]: app },
});

/** Creates an app; ILLEGAL_STATE (409) when the id is taken and `replace` is false. */
export function putApp(
  state: ServiceState,
  spec: AppSpec,
  options: { readonly replace: boolean; readonly nowMs: number },
): Transition<ServiceState, AppRecord> {
  const existing = state.apps[spec.id];
  if (existing === undefined) {
    const created: AppRecord = { spec, version: 1, versionAtMs: options.nowMs };
    return { state: withApp(state, spec.id, created), result: created };
  }
  if (!options.replace) throw new MesoError('ILLEGAL_STATE', `app '${spec.id}' already exists`);
  if (JSON.stringify(existing.spec) === JSON.stringify(spec)) return unchanged(state, existing);
  const updated: AppRecord = needsNewVersion(existing.spec, spec)
    ? { spec, version: existing.version + 1, versionAtMs: options.nowMs }
    : { ...existing, spec };
  return { state: withApp(state, spec.id, updated), result: updated };
}

/** Changes `instances` only: running tasks are kept. */
export function scaleApp(
  state: ServiceState,
  appId: string,
  instances: number,
): Transition<ServiceState, AppRecord> {
  const app = appOf(state, appId);
  if (app.spec.instances === instances) return unchanged(state, app);
  const scaled: AppRecord = { ...app, spec: { ...app.spec, instances } };
  return { state: withApp(state, appId, scaled), result: scaled };
}

/** A new version with the same spec: every task is replaced, following the upgrade strategy. */
export function restartApp(
  state: ServiceState,
  appId: string,
  nowMs: number,
): Transition<ServiceState, AppRecord> {
  const app = appOf(state, appId);
  const restarted: AppRecord = { ...app, version: app.version + 1, versionAtMs: nowMs };
  return { state: withApp(state, appId, restarted), result: restarted };
}

/** Removes the app; its tasks stay recorded until they have been killed. */
export function deleteApp(state: ServiceState, appId: string): Transition<ServiceState, AppRecord> {
  const app = appOf(state, appId);
  const { [appId]: _removed, ...apps } = state.apps;
  return { state: { ...state, apps }, result: app };
}

export function addTasks(state: ServiceState, tasks: Readonly<Record<string, TaskRecord>>): ServiceState {
  return Object.keys(tasks).length === 0 ? state : { ...state, tasks: { ...state.tasks, ...tasks } };
}

export function removeTask(state: ServiceState, taskId: string): ServiceState {
  if (state.tasks[taskId] === undefined) return state;
  const { [taskId]: _removed, ...tasks } = state.tasks;
  return { ...state, tasks };
}
