/**
 * The life of a framework scheduler daemon (services, jobs), shared by both:
 *
 *   start API server (/health answers at once)
 *     → contend for leadership among instances (ZooKeeper, or lead at once)
 *     → elected: load the state document, build the framework's scheduler on it, subscribe to the
 *       master with the stored framework id (failing over its tasks), serve the REST API
 *   `GET /metrics` answers from the start on every instance (see `scheduler-metrics.ts`).
 *     → deposed, fenced by a newer leader's write, or removed by the master: `ended` settles and
 *       the command exits, so a supervisor restarts a clean standby. Crash-only: nothing tries to
 *       step down and lead again inside one process.
 */
import type { Router } from 'express';
import {
  InMemoryRegistryStore,
  openZkRegistryStore,
  parseZkUrl,
  type RegistryDecoder,
  type RegistryStore,
  startZkMasterDetector,
  type ZkCoordinationOptions,
} from '../../coordination/index.js';
import type { Clock } from '../../core/clock.js';
import { MesoError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import {
  describeError,
  detectedMaster,
  Framework,
  type FrameworkHandlers,
  type MasterLocator,
  staticMaster,
} from '../../scheduler/index.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { PromMetrics, SchedulerMetrics, specsOf } from '../../metrics/index.js';
import { contendForLeadership, type SchedulerLeadership } from './leadership.js';
import { collectSchedulerGauges, instrumentHandlers, type SchedulerGauges } from './scheduler-metrics.js';
import { documentFrameworkIdStore, StateDocument } from './state-document.js';

export interface DaemonConfig {
  /** The master: `http://host:5050`, `host:5050`, or `zk://host:2181/mesos` to follow the leader. */
  readonly master: string;
  /** Where state and the instances' election live: `zk://host:2181/meso/services`. In memory, alone, when absent. */
  readonly zk: string | undefined;
  readonly zkSessionTimeoutMs: number;
  readonly port: number;
  readonly listenHost: string;
  /** Host clients and other instances use to reach this instance's API. */
  readonly advertiseHost: string;
  readonly frameworkName: string;
  readonly frameworkUser: string;
  readonly role: string;
  readonly failoverTimeoutSeconds: number;
}

/** What a framework's scheduler may ask of the running framework (a subset of `Framework`). */
export type TaskControl = Pick<Framework, 'kill' | 'reconcile' | 'demandChanged'>;

/** A kill with no terminal update after this long is sent again (the first may have been lost). */
export const KILL_RETRY_MS = 15_000;

/** A framework's scheduler, built by the leading instance on its loaded state. */
export interface LeaderScheduler extends FrameworkHandlers {
  /** The framework's REST routes. */
  router(): Router;
  /** Cancels timers and checks; the framework stays registered. */
  stop(): Promise<void>;
  /** What the scheduler wants and runs, for the metrics gauges (read at scrape time). */
  gauges?(): SchedulerGauges;
}

export interface SchedulerContext<S> {
  readonly state: StateDocument<S>;
  readonly control: TaskControl;
  readonly role: string;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface FrameworkDaemonDefinition<S extends { readonly frameworkId?: string }> {
  /** `services` or `jobs`: names the state node and log component. */
  readonly kind: string;
  readonly decode: RegistryDecoder<S>;
  readonly empty: S;
  create(context: SchedulerContext<S>): LeaderScheduler;
}

export type DaemonEnd = 'stopped' | 'deposed' | 'fenced' | 'framework-ended' | 'failed';

export interface FrameworkDaemon extends AsyncDisposable {
  readonly port: number;
  /** Settles with why the daemon stopped serving; the command exits then. */
  readonly ended: Promise<DaemonEnd>;
  stop(): Promise<void>;
}

/** ZooKeeper node (under `--zk`'s path) holding the state document. */
export const STATE_NODE = 'state';

export async function startFrameworkDaemon<S extends { readonly frameworkId?: string }>(
  config: DaemonConfig,
  definition: FrameworkDaemonDefinition<S>,
  deps: { readonly clock: Clock; readonly log: Logger },
): Promise<FrameworkDaemon> {
  const log = deps.log.child({ component: `frameworks.${definition.kind}` });
  const zk: ZkCoordinationOptions | undefined =
    config.zk === undefined
      ? undefined
      : { url: parseZkUrl(config.zk), sessionTimeoutMs: config.zkSessionTimeoutMs, clock: deps.clock, log };
  const closers: (() => Promise<void>)[] = [];
  let resolveEnded: (end: DaemonEnd) => void = () => undefined;
  const ended = new Promise<DaemonEnd>((resolve) => (resolveEnded = resolve));
  let finished = false;
  const end = (reason: DaemonEnd): void => {
    if (finished) return;
    finished = true;
    log.info('scheduler daemon ending', { reason });
    resolveEnded(reason);
  };

  // One registry per daemon, served on its REST port; standbys report `subscribed` 0 only.
  const metrics = new PromMetrics(specsOf(SchedulerMetrics));
  const leader: { scheduler?: LeaderScheduler; framework?: Framework } = {};
  const stopCollecting = metrics.addCollector((sink) =>
    collectSchedulerGauges(sink, leader.framework?.isSubscribed() ?? false, leader.scheduler?.gauges?.()),
  );
  closers.push(() => Promise.resolve(stopCollecting()));
  const api: ApiServer = await startApiServer({
    port: config.port,
    listenHost: config.listenHost,
    log,
    metrics,
  });
  closers.push(() => api.close());

  const lead = async (): Promise<void> => {
    const store = await openStateStore(zk, definition);
    closers.push(store.close);
    const state = await StateDocument.open(store.store, definition.empty, {
      log,
      onFenced: () => end('fenced'),
    });
    const master = await masterLocator(config.master, deps.clock, log, closers);
    // The scheduler and the framework refer to each other; calls only come once both exist.
    const ref: { framework?: Framework } = {};
    const running = (): Framework => {
      if (ref.framework === undefined) throw new MesoError('ILLEGAL_STATE', 'the framework has not started');
      return ref.framework;
    };
    const control: TaskControl = {
      kill: (...args) => running().kill(...args),
      reconcile: (...args) => running().reconcile(...args),
      demandChanged: () => ref.framework?.demandChanged(),
    };
    const scheduler = definition.create({ state, control, role: config.role, clock: deps.clock, log });
    leader.scheduler = scheduler;
    closers.unshift(() => scheduler.stop());
    const framework = await Framework.start({
      master,
      info: {
        user: config.frameworkUser,
        name: config.frameworkName,
        role: config.role,
        failover_timeout: config.failoverTimeoutSeconds,
        webui_url: `http://${config.advertiseHost}:${api.port}`,
      },
      idStore: documentFrameworkIdStore(state),
      handlers: instrumentHandlers(scheduler, metrics, deps.clock),
      clock: deps.clock,
      log,
    });
    ref.framework = framework;
    leader.framework = framework;
    closers.unshift(() => framework.stop());
    void framework.done.then(() => end('framework-ended'));
    api.mount(scheduler.router());
  };

  const leadership: SchedulerLeadership = await contendForLeadership({
    zk,
    advertise: { host: config.advertiseHost, port: api.port },
    log,
    onElected: () =>
      void lead().catch((err: unknown) => {
        log.error('taking the lead failed', { err: describeError(err) });
        end('failed');
      }),
    onDeposed: () => end('deposed'),
  });
  api.setLeadership(leadership);
  closers.push(() => leadership.stop());

  const stop = async (): Promise<void> => {
    end('stopped');
    for (const close of closers.splice(0)) {
      await close().catch((err: unknown) => log.warn('shutdown step failed', { err: describeError(err) }));
    }
  };
  return { port: api.port, ended, stop, [Symbol.asyncDispose]: stop };
}

async function openStateStore<S>(
  zk: ZkCoordinationOptions | undefined,
  definition: FrameworkDaemonDefinition<S & { readonly frameworkId?: string }>,
): Promise<{ store: RegistryStore<S>; close: () => Promise<void> }> {
  if (zk === undefined)
    return { store: new InMemoryRegistryStore(definition.decode), close: () => Promise.resolve() };
  const store = await openZkRegistryStore(
    { ...zk, url: { ...zk.url, path: `${zk.url.path}/${STATE_NODE}` } },
    definition.decode,
  );
  return { store, close: async () => await store[Symbol.asyncDispose]() };
}

async function masterLocator(
  master: string,
  clock: Clock,
  log: Logger,
  closers: (() => Promise<void>)[],
): Promise<MasterLocator> {
  if (!master.startsWith('zk://'))
    return staticMaster(/^https?:\/\//.test(master) ? master : `http://${master}`);
  const detector = await startZkMasterDetector({ url: parseZkUrl(master), clock, log });
  closers.push(() => detector.close());
  return detectedMaster(detector);
}
