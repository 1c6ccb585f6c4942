// @ts-check
/** The overview: who leads, what the cluster holds, how much of it is in use, what just happened. */
import { sparkline, usageBar } from '../charts.js';
import { fmtAge, fmtPct, fmtTime, h, replace, stateBadge } from '../dom.js';
import { isTerminal } from '../store.js';
import { clusterUsage, SHOWN_RESOURCES } from '../usage.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

const SAMPLE_EVERY_MS = 2000;
const MAX_SAMPLES = 60;
/** Allocation samples (used + offered over total) per resource; kept across visits of the page. */
const history = { cpus: /** @type {number[]} */ ([]), mem: /** @type {number[]} */ ([]) };
let lastSampleMs = 0;

/**
 * @param {ClusterStore} store
 */
export function overviewView(store) {
  const el = h('div', { class: 'overview' });
  const update = () => {
    const usage = clusterUsage(store);
    sample(usage);
    replace(el, summaryCards(store), resources(usage), activity(store));
  };
  return { title: 'Cluster', el, update };
}

/** @param {import('../usage.js').Usage} usage */
function sample(usage) {
  const now = Date.now();
  if (now - lastSampleMs < SAMPLE_EVERY_MS) return;
  lastSampleMs = now;
  for (const name of /** @type {const} */ (['cpus', 'mem'])) {
    const total = usage.total[name] ?? 0;
    const fraction = total > 0 ? ((usage.used[name] ?? 0) + (usage.offered[name] ?? 0)) / total : 0;
    history[name] = [...history[name], fraction].slice(-MAX_SAMPLES);
  }
}

/**
 * @param {string} title
 * @param {...import('../dom.js').Child} body
 */
const card = (title, ...body) =>
  h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...body);

/** @param {ClusterStore} store */
function summaryCards(store) {
  const master = store.master;
  const info = master?.master_info;
  const agents = [...store.agents.values()];
  const frameworks = [...store.frameworks.values()];
  const tasks = [...store.tasks.values()];
  const count = (/** @type {string} */ state) => tasks.filter((t) => t.state === state).length;
  /** @type {Array<Record<string, any>> | undefined} */
  const standbys = master?.standbys;
  return h(
    'div',
    { class: 'cards' },
    card(
      'Leading master',
      info === undefined
        ? h('p', {}, 'Unknown')
        : h(
            'dl',
            {},
            h('dt', {}, 'Address'),
            h('dd', {}, `${info.hostname}:${info.port}`),
            h('dt', {}, 'Version'),
            h('dd', {}, info.version),
            h('dt', {}, 'Up for'),
            h('dd', {}, fmtAge(Date.now() / 1000 - master?.start_time)),
            h('dt', {}, 'Elected'),
            h('dd', {}, fmtTime(master?.elected_time ?? master?.start_time)),
          ),
    ),
    card(
      'Standby masters',
      standbys === undefined
        ? h('p', {}, 'Not reported by this master')
        : standbys.length === 0
          ? h('p', {}, 'None')
          : h(
              'ul',
              {},
              standbys.map((s) => h('li', {}, `${s.hostname}:${s.port}`)),
            ),
    ),
    card(
      'Agents',
      h(
        'p',
        { class: 'big' },
        h('a', { href: '#/agents' }, agents.filter((a) => a.unreachableSince === undefined).length),
      ),
      h('p', {}, `${agents.filter((a) => a.unreachableSince !== undefined).length} unreachable`),
    ),
    card(
      'Frameworks',
      h('p', { class: 'big' }, h('a', { href: '#/frameworks' }, frameworks.filter((f) => f.active).length)),
      h(
        'p',
        {},
        `${frameworks.filter((f) => !f.connected).length} disconnected, ${store.completedFrameworks.size} completed`,
      ),
    ),
    card(
      'Tasks',
      h('p', { class: 'big' }, h('a', { href: '#/tasks?state=TASK_RUNNING' }, count('TASK_RUNNING'))),
      h(
        'p',
        {},
        `running; ${count('TASK_STAGING') + count('TASK_STARTING')} starting, ${count('TASK_FINISHED')} finished, ${count('TASK_FAILED')} failed`,
      ),
    ),
  );
}

/** @param {import('../usage.js').Usage} usage */
function resources(usage) {
  const shown = SHOWN_RESOURCES.filter((name) => name !== 'gpus' || (usage.total[name] ?? 0) > 0);
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'resources-heading' },
    h('h2', { id: 'resources-heading' }, 'Resources'),
    h(
      'div',
      { class: 'usage-grid' },
      shown.map((name) =>
        usageBar(name, usage.used[name] ?? 0, usage.offered[name] ?? 0, usage.total[name] ?? 0),
      ),
    ),
    h(
      'div',
      { class: 'trends' },
      Object.entries(history).map(([name, values]) =>
        h(
          'figure',
          { class: 'trend' },
          sparkline(values, `${name} allocated`),
          h(
            'figcaption',
            {},
            `${name} allocated: ${fmtPct(values.at(-1) ?? 0)} (last ${values.length} samples)`,
          ),
        ),
      ),
    ),
  );
}

/** @param {ClusterStore} store */
function activity(store) {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'activity-heading' },
    h('h2', { id: 'activity-heading' }, 'Recent task activity'),
    store.activity.length === 0
      ? h('p', {}, 'No task has changed since this page opened.')
      : h(
          'ol',
          { class: 'activity' },
          store.activity.map((a) => {
            const task = store.tasks.get(a.key);
            const name = task?.name || task?.task_id.value || a.key;
            return h(
              'li',
              {},
              h('time', {}, new Date(a.time * 1000).toLocaleTimeString()),
              ' ',
              h('a', { href: `#/tasks/${encodeURIComponent(a.key)}` }, name),
              ' ',
              stateBadge(a.state),
              task !== undefined && isTerminal(task.state) && task.state !== a.state
                ? ` (now ${task.state})`
                : '',
            );
          }),
        ),
  );
}
