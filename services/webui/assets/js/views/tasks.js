// @ts-check
/**
 * Tasks, newest first, filtered by state, framework and agent and searched by id or name. The
 * filters live in the address (`#/tasks?state=TASK_RUNNING&q=web`), so a filtered view can be
 * bookmarked or shared; the form is built once, only the table follows updates.
 */
import { fmtAge, fmtFor, h, replace, scalars, stateBadge, table } from '../dom.js';
import { isTerminal, taskKey } from '../store.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

const STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
];
/** Rows drawn at most; a search narrows the rest down. */
const MAX_ROWS = 500;

/** @param {Record<string, any>} task */
const updatedAt = (task) => task.statuses?.at(-1)?.timestamp ?? 0;

/**
 * @param {string} label
 * @param {string} name
 * @param {HTMLElement} control
 */
const field = (label, name, control) => {
  control.id = `filter-${name}`;
  control.setAttribute('name', name);
  return h('div', { class: 'field' }, h('label', { for: `filter-${name}` }, label), control);
};

/**
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options value and label pairs
 */
function setOptions(select, options) {
  const signature = options.map(([value, label]) => `${value}\u0000${label}`).join('\u0001');
  if (select.dataset['options'] === signature) return; // unchanged: keep focus and selection as they are
  const selected = select.value;
  select.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  select.value = options.some(([value]) => value === selected) ? selected : (options[0]?.[0] ?? '');
  select.dataset['options'] = signature;
}

/**
 * @param {ClusterStore} store
 * @param {URLSearchParams} query
 */
export function tasksView(store, query) {
  const state = /** @type {HTMLSelectElement} */ (h('select', {}));
  setOptions(state, [
    ['active', 'Active'],
    ['all', 'All'],
    ...STATES.map((s) => /** @type {[string, string]} */ ([s, s.replace('TASK_', '').toLowerCase()])),
  ]);
  const framework = /** @type {HTMLSelectElement} */ (h('select', {}));
  const agent = /** @type {HTMLSelectElement} */ (h('select', {}));
  const search = /** @type {HTMLInputElement} */ (
    h('input', { type: 'search', placeholder: 'task id or name', autocomplete: 'off' })
  );
  const count = h('p', { class: 'count', role: 'status' });
  const results = h('div', {});
  const form = h(
    'form',
    { role: 'search', 'aria-label': 'Filter tasks', class: 'filters' },
    field('State', 'state', state),
    field('Framework', 'framework', framework),
    field('Agent', 'agent', agent),
    field('Search', 'q', search),
  );
  form.addEventListener('submit', (e) => e.preventDefault());
  const wanted = {
    state: query.get('state') ?? 'active',
    framework: query.get('framework') ?? '',
    agent: query.get('agent') ?? '',
  };
  search.value = query.get('q') ?? '';

  const update = () => {
    const tasks = [...store.tasks.values()];
    setOptions(framework, [
      ['', 'Any'],
      ...[...new Set(tasks.map((t) => t.framework_id.value))].map(
        (id) => /** @type {[string, string]} */ ([id, store.frameworkName(id)]),
      ),
    ]);
    setOptions(agent, [
      ['', 'Any'],
      ...[...store.agents.keys()].map(
        (id) => /** @type {[string, string]} */ ([id, store.agentHostname(id)]),
      ),
    ]);
    // The address may name a framework or agent not loaded yet: apply it once it is.
    for (const [select, value] of /** @type {const} */ ([
      [state, wanted.state],
      [framework, wanted.framework],
      [agent, wanted.agent],
    ])) {
      if (value !== '' && select.value !== value && [...select.options].some((o) => o.value === value))
        select.value = value;
    }
    const needle = search.value.trim().toLowerCase();
    const matching = tasks
      .filter(
        (t) =>
          (state.value === 'all' ||
            (state.value === 'active' ? !isTerminal(t.state) : t.state === state.value)) &&
          (framework.value === '' || t.framework_id.value === framework.value) &&
          (agent.value === '' || t.agent_id.value === agent.value) &&
          (needle === '' ||
            t.task_id.value.toLowerCase().includes(needle) ||
            (t.name ?? '').toLowerCase().includes(needle)),
      )
      .sort((a, b) => updatedAt(b) - updatedAt(a));
    const now = Date.now() / 1000;
    count.textContent = `Showing ${Math.min(matching.length, MAX_ROWS)} of ${matching.length} matching tasks (${tasks.length} known)`;
    replace(
      results,
      table(
        'Tasks',
        ['Task', 'State', 'Framework', 'Agent', 'Resources', 'Updated'],
        matching.slice(0, MAX_ROWS).map((t) => {
          const held = scalars(t.resources);
          return [
            [
              h('a', { href: `#/tasks/${encodeURIComponent(taskKey(t))}` }, t.name || t.task_id.value),
              h('div', { class: 'id' }, t.task_id.value),
            ],
            stateBadge(t.state),
            store.frameworkName(t.framework_id.value),
            store.agentHostname(t.agent_id.value),
            ['cpus', 'mem'].map((n) => `${n} ${fmtFor(n)(held[n] ?? 0)}`).join(', '),
            updatedAt(t) === 0 ? '—' : `${fmtAge(now - updatedAt(t))} ago`,
          ];
        }),
        'No task matches.',
      ),
    );
  };

  let applied = '';
  const onFilter = () => {
    // A text field also reports `change` when it loses focus: nothing new to apply then.
    const signature = [state.value, framework.value, agent.value, search.value.trim()].join('\u0000');
    if (signature === applied) return;
    applied = signature;
    wanted.state = state.value;
    wanted.framework = framework.value;
    wanted.agent = agent.value;
    const params = new URLSearchParams();
    if (state.value !== 'active') params.set('state', state.value);
    if (framework.value !== '') params.set('framework', framework.value);
    if (agent.value !== '') params.set('agent', agent.value);
    if (search.value.trim() !== '') params.set('q', search.value.trim());
    const suffix = params.toString();
    history.replaceState(null, '', `#/tasks${suffix === '' ? '' : `?${suffix}`}`);
    update();
  };
  form.addEventListener('input', onFilter);
  form.addEventListener('change', onFilter);

  return { title: 'Tasks', el: h('div', { class: 'tasks' }, form, count, results), update };
}
