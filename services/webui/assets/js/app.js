// @ts-check
/**
 * The web UI's entry point: hash routes (`#/`, `#/agents`, `#/frameworks`, `#/tasks?...`,
 * `#/tasks/<framework>/<task>`, `#/roles`), the connection indicator, and focus handling: a route
 * change moves focus to the page's heading, and a live update keeps focus on the same link.
 */
import { h, replace } from './dom.js';
import { ClusterStore } from './store.js';
import { AllocationHistory } from './usage.js';
import { agentsView } from './views/agents.js';
import { frameworksView } from './views/frameworks.js';
import { overviewView } from './views/overview.js';
import { rolesView } from './views/roles.js';
import { taskView } from './views/task.js';
import { tasksView } from './views/tasks.js';

/** @typedef {{title: string, el: HTMLElement, update: () => void, dispose?: () => void}} View */

const store = new ClusterStore();
const history = new AllocationHistory(store);
const title = /** @type {HTMLElement} */ (document.getElementById('page-title'));
const viewRoot = /** @type {HTMLElement} */ (document.getElementById('view'));
const connection = /** @type {HTMLElement} */ (document.getElementById('connection'));
/** @type {View | undefined} */
let current;

/** @returns {View} */
function viewFor(/** @type {string} */ hash) {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(search);
  if (path === '') return overviewView(store, history);
  if (path === 'agents') return agentsView(store);
  if (path === 'frameworks') return frameworksView(store);
  if (path === 'tasks') return tasksView(store, query);
  if (path.startsWith('tasks/')) return taskView(store, decodeURIComponent(path.slice('tasks/'.length)));
  if (path === 'roles') return rolesView(store);
  return {
    title: 'Not found',
    el: h('p', {}, 'There is no such page. ', h('a', { href: '#/' }, 'Go to the overview.')),
    update: () => undefined,
  };
}

/** @param {boolean} moveFocus */
function route(moveFocus) {
  current?.dispose?.();
  current = viewFor(location.hash);
  title.textContent = current.title;
  document.title = `${current.title} · meso`;
  const section = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  for (const link of document.querySelectorAll('nav a')) {
    const target = (link.getAttribute('href') ?? '').replace(/^#\/?/, '');
    if (target === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  viewRoot.replaceChildren(current.el);
  current.update();
  if (moveFocus) title.focus();
}

/**
 * While a pointer is down on the page, updates wait: replacing the element under it would turn
 * the press into no click at all. They run right after the click.
 */
let pointerDown = false;
let refreshWaiting = false;
viewRoot.addEventListener('pointerdown', () => (pointerDown = true));
window.addEventListener('pointerup', () => {
  pointerDown = false;
  if (!refreshWaiting) return;
  refreshWaiting = false;
  setTimeout(refresh, 0);
});

/** Re-renders the view; focus stays on the link with the same `href`, if it still exists. */
function refresh() {
  if (pointerDown) {
    refreshWaiting = true;
    return;
  }
  const active = document.activeElement;
  const key =
    active !== null && viewRoot.contains(active) && active.tagName === 'A'
      ? active.getAttribute('href')
      : undefined;
  current?.update();
  if (key !== undefined && key !== null && !viewRoot.contains(document.activeElement)) {
    const again = [...viewRoot.querySelectorAll('a')].find((a) => a.getAttribute('href') === key);
    again?.focus();
  }
  showConnection();
}

function showConnection() {
  connection.dataset['state'] = store.connection;
  if (store.connection === 'live') replace(connection, 'Live');
  else if (store.connection === 'connecting') replace(connection, 'Connecting…');
  else
    replace(
      connection,
      `Reconnecting (${store.lastError ?? 'connection lost'})… `,
      store.failures >= 3 ? h('a', { href: '/' }, 'Reload') : null,
    );
}

document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  title.focus();
});
window.addEventListener('hashchange', () => route(true));
store.onChange(refresh);
route(false);
showConnection();
void store.run();
