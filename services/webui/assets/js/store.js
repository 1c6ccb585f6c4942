// @ts-check
/**
 * The page's model of the cluster, kept current by the operator event stream: the SUBSCRIBED
 * snapshot, then TASK_*, AGENT_* and FRAMEWORK_* events. What the stream does not carry (offers,
 * offer counters, shares) is refreshed with one GET_FRAMEWORKS every few seconds, and roles with
 * GET_ROLES while the roles page is open. Views read the model and re-render on `onChange`.
 */
import { call, subscribe } from './api.js';

/** @typedef {import('./api.js').Json} Json */

const TERMINAL = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);
/** @param {string} state */
export const isTerminal = (state) => TERMINAL.has(state);

/** Ended tasks kept in the page, newest first beyond this are dropped. */
const MAX_ENDED_TASKS = 2000;
const MAX_ACTIVITY = 15;
const FRAMEWORKS_REFRESH_MS = 5000;
const RECONNECT_MAX_MS = 15000;

/** @param {Json} task */
export const taskKey = (task) => `${task.framework_id.value}/${task.task_id.value}`;

export class ClusterStore {
  constructor() {
    /** @type {Json | undefined} GET_MASTER's answer */
    this.master = undefined;
    /** @type {Map<string, {agent: Json, unreachableSince?: number}>} */
    this.agents = new Map();
    /** @type {Map<string, Json>} */
    this.frameworks = new Map();
    /** @type {Map<string, Json>} */
    this.completedFrameworks = new Map();
    /** @type {Map<string, Json>} by `taskKey` */
    this.tasks = new Map();
    /** @type {{time: number, key: string, state: string}[]} newest first */
    this.activity = [];
    /** @type {Json[] | undefined} GET_ROLES's roles, once fetched */
    this.roles = undefined;
    /** @type {'connecting' | 'live' | 'reconnecting'} */
    this.connection = 'connecting';
    /** @type {string | undefined} */
    this.lastError = undefined;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.notifyTimer = undefined;
    this.heartbeatSec = 15;
    this.failures = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.refreshTimer = undefined;
    /** The last GET_FRAMEWORKS answer, as text, to tell whether a refresh changed anything. */
    this.lastFrameworks = '';
  }

  /** @param {() => void} listener */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Coalesces bursts of events into one re-render. */
  changed() {
    if (this.notifyTimer !== undefined) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const listener of this.listeners) listener();
    }, 50);
  }

  /** Connects and stays connected, reconnecting with backoff; runs for the page's lifetime. */
  async run() {
    setInterval(() => void this.refreshFrameworks(), FRAMEWORKS_REFRESH_MS);
    for (;;) {
      const aborted = new AbortController();
      let watchdog = setTimeout(() => aborted.abort(), 30000);
      try {
        this.master = await call('GET_MASTER', aborted.signal);
        await subscribe((event) => {
          clearTimeout(watchdog);
          // No event, not even a heartbeat, for two intervals: the connection is dead.
          watchdog = setTimeout(() => aborted.abort(), this.heartbeatSec * 2000 + 5000);
          this.apply(event);
        }, aborted.signal);
        this.lastError = 'the master closed the event stream';
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
      } finally {
        clearTimeout(watchdog);
        aborted.abort();
      }
      this.failures++;
      this.connection = 'reconnecting';
      this.changed();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(RECONNECT_MAX_MS, 500 * 2 ** this.failures)),
      );
    }
  }

  /** @param {Json} event */
  apply(event) {
    switch (event.type) {
      case 'SUBSCRIBED':
        this.load(event.subscribed.get_state);
        this.heartbeatSec = event.subscribed.heartbeat_interval_seconds ?? 15;
        this.connection = 'live';
        this.failures = 0;
        this.lastError = undefined;
        break;
      case 'TASK_ADDED':
        this.putTask(event.task_added.task);
        // A launch consumed an offer: show the offers as they are now rather than at the next refresh.
        this.refreshFrameworksSoon();
        break;
      case 'TASK_UPDATED':
        this.updateTask(event.task_updated);
        break;
      case 'AGENT_ADDED':
        this.agents.set(event.agent_added.agent.agent_info.id.value, { agent: event.agent_added.agent });
        break;
      case 'AGENT_REMOVED': {
        const known = this.agents.get(event.agent_removed.agent_id.value);
        if (known !== undefined) known.unreachableSince = Date.now() / 1000;
        break;
      }
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        const framework = (event.framework_added ?? event.framework_updated).framework;
        this.frameworks.set(framework.framework_info.id.value, framework);
        break;
      }
      case 'FRAMEWORK_REMOVED': {
        const id = event.framework_removed.framework_info.id.value;
        const framework = this.frameworks.get(id);
        this.frameworks.delete(id);
        if (framework !== undefined)
          this.completedFrameworks.set(id, { ...framework, active: false, connected: false });
        break;
      }
      default:
        return; // HEARTBEAT and events this page does not use
    }
    this.changed();
  }

  /** @param {Json} state GET_STATE */
  load(state) {
    this.agents.clear();
    for (const agent of state.get_agents.agents ?? []) this.agents.set(agent.agent_info.id.value, { agent });
    for (const agent of state.get_agents.unreachable_agents ?? []) {
      this.agents.set(agent.agent_info.id.value, {
        agent,
        unreachableSince: agent.unreachable_time.nanoseconds / 1e9,
      });
    }
    this.loadFrameworks(state.get_frameworks);
    this.tasks.clear();
    const tasks = state.get_tasks;
    for (const task of [
      ...(tasks.completed_tasks ?? []),
      ...(tasks.unreachable_tasks ?? []),
      ...(tasks.tasks ?? []),
    ])
      this.tasks.set(taskKey(task), task);
  }

  /** @param {Json} answer GET_FRAMEWORKS */
  loadFrameworks(answer) {
    this.frameworks = new Map(
      (answer.frameworks ?? []).map((/** @type {Json} */ f) => [f.framework_info.id.value, f]),
    );
    this.completedFrameworks = new Map(
      (answer.completed_frameworks ?? []).map((/** @type {Json} */ f) => [f.framework_info.id.value, f]),
    );
  }

  /** @param {Json} task */
  putTask(task) {
    this.tasks.set(taskKey(task), task);
    this.noteActivity(taskKey(task), task.state);
  }

  /** @param {Json} update `task_updated`: framework_id, status, state */
  updateTask(update) {
    const key = `${update.framework_id.value}/${update.status.task_id.value}`;
    const task = this.tasks.get(key);
    if (task === undefined) return;
    task.state = update.state;
    task.statuses = [...(task.statuses ?? []), update.status];
    this.noteActivity(key, update.status.state);
    if (isTerminal(update.state)) this.pruneEndedTasks();
  }

  /**
   * @param {string} key
   * @param {string} state
   */
  noteActivity(key, state) {
    this.activity = [{ time: Date.now() / 1000, key, state }, ...this.activity].slice(0, MAX_ACTIVITY);
  }

  pruneEndedTasks() {
    const ended = [...this.tasks.entries()].filter(([, t]) => isTerminal(t.state));
    for (const [key] of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_TASKS))) this.tasks.delete(key);
  }

  refreshFrameworksSoon() {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshFrameworks();
    }, 250);
  }

  async refreshFrameworks() {
    if (this.connection !== 'live') return;
    try {
      const answer = await call('GET_FRAMEWORKS');
      const text = JSON.stringify(answer);
      if (text === this.lastFrameworks) return; // nothing changed: no re-render
      this.lastFrameworks = text;
      this.loadFrameworks(answer);
      this.changed();
    } catch {
      // The event stream's reconnection reports trouble; a missed refresh is harmless.
    }
  }

  async refreshRoles() {
    this.roles = (await call('GET_ROLES')).roles ?? [];
    this.changed();
  }

  /** @param {string} id */
  frameworkName(id) {
    return (this.frameworks.get(id) ?? this.completedFrameworks.get(id))?.framework_info.name ?? id;
  }

  /** @param {string} id */
  agentHostname(id) {
    return this.agents.get(id)?.agent.agent_info.hostname ?? id;
  }

  liveTasks() {
    return [...this.tasks.values()].filter((t) => !isTerminal(t.state));
  }

  /** Outstanding offers of every framework. */
  offers() {
    return [...this.frameworks.values()].flatMap((f) => f.offers ?? []);
  }
}
