// @ts-check
/** The overview: who leads, what the cluster holds, how much of it is in use, what just happened. */
import { sparkline, usageBar } from '../charts.js';
import { fmtPct, fmtTime, h, replace, stateBadge } from '../dom.js';
import { isTerminal } from '../store.js';
import { AllocationHistory, clusterUsage, SHOWN_RESOURCES } from '../usage.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

/**
 * @param {ClusterStore} store
 * @param {AllocationHistory} history
 */
export function overviewView(store, history) {
  const trendsRegion = h('div', { class: 'trends' });
  const drawTrends = () => replace(trendsRegion, trends(history));
  const el = h('div', { class: 'overview' });
  const update = () => {
    replace(el, summaryCards(store), resources(clusterUsage(store), trendsRegion), activity(store));
    drawTrends();
  };
  // Trends move with each sample, also when nothing else happens.
  const stopTrends = history.onSample(drawTrends);
  return { title: 'Cluster', el, update, dispose: () => void stopTrends() };
}

/**
 * @param {string} title
 * @param {...import('../dom.js').Child} body
 */
const card = (title, ...body) =>
  h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...body);

/**
 * A count that links to the list it counts: `3 running`.
 * @param {string} href
 * @param {number} n
 * @param {string} unit
 */
const big = (href, n, unit) =>
  h(
    'p',
    { class: 'big' },
    h('a', { href, 'aria-label': `${n} ${unit}` }, n),
    h('span', { class: 'unit' }, unit),
  );

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
            h('dt', {}, 'Started'),
            h('dd', {}, fmtTime(master?.start_time)),
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
      big('#/agents', agents.filter((a) => a.unreachableSince === undefined).length, 'active'),
      h('p', {}, `${agents.filter((a) => a.unreachableSince !== undefined).length} unreachable`),
    ),
    card(
      'Frameworks',
      big('#/frameworks', frameworks.filter((f) => f.active).length, 'active'),
      h(
        'p',
        {},
        `${frameworks.filter((f) => !f.connected).length} disconnected, ${store.completedFrameworks.size} completed`,
      ),
    ),
    card(
      'Tasks',
      big('#/tasks?state=TASK_RUNNING', count('TASK_RUNNING'), 'running'),
      h(
        'p',
        {},
        `${count('TASK_STAGING') + count('TASK_STARTING')} starting, ${count('TASK_FINISHED')} finished, ${count('TASK_FAILED')} failed`,
      ),
    ),
  );
}

/**
 * @param {import('../usage.js').Usage} usage
 * @param {HTMLElement} trendsRegion
 */
function resources(usage, trendsRegion) {
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
    trendsRegion,
  );
}

/** @param {AllocationHistory} history */
function trends(history) {
  return Object.entries(history.samples).map(([name, values]) =>
    h(
      'figure',
      { class: 'trend' },
      sparkline(values, `${name} allocated`),
      h('figcaption', {}, `${name} allocated: ${fmtPct(values.at(-1) ?? 0)} (last ${values.length} samples)`),
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
