// @ts-check
/**
 * Building the page: `h()` creates elements from data with text nodes only (never HTML strings),
 * so names and ids coming from frameworks cannot inject markup. Plus the formatters every view
 * shares.
 */

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * `h('a', {href: '#/tasks', class: 'x'}, 'text', otherNode)`. Attributes set to `undefined` or
 * `false` are left out; `true` sets an empty attribute.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A table with a caption and column headers; `rows` are arrays of cells.
 * @param {string} caption
 * @param {string[]} headers
 * @param {(Child | Child[])[][]} rows
 * @param {string} [empty] text shown instead of rows when there are none
 */
export function table(caption, headers, rows, empty = 'None') {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty))
        : rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((cell) => h('td', {}, cell)),
            ),
          ),
    ),
  );
}

/**
 * @param {string} state a task state, `TASK_RUNNING`
 */
export function stateBadge(state) {
  const short = state.replace(/^TASK_/, '').toLowerCase();
  return h('span', { class: `badge state-${short}` }, short.replace(/_/g, ' '));
}

/** @param {number} n */
export const fmtNum = (n) => String(Math.round(n * 100) / 100);

/** @param {number} mb megabytes, as Mesos counts memory and disk */
export const fmtMem = (mb) => (mb >= 1024 ? `${fmtNum(mb / 1024)} GiB` : `${fmtNum(mb)} MiB`);

/** @param {string} name */
export const fmtFor = (name) => (name === 'mem' || name === 'disk' ? fmtMem : fmtNum);

/** @param {number} fraction */
export const fmtPct = (fraction) => `${Math.round(fraction * 1000) / 10}%`;

/** @param {number} seconds since the epoch */
export const fmtTime = (seconds) => new Date(seconds * 1000).toLocaleString();

/** @param {number} seconds a duration */
export function fmtAge(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** @param {{nanoseconds: number} | undefined} time */
export const fromTimeInfo = (time) => (time === undefined ? undefined : time.nanoseconds / 1e9);

/**
 * Scalar totals of a v1 resource list: `{cpus: 2, mem: 1024}`.
 * @param {Array<Record<string, any>> | undefined} resources
 * @returns {Record<string, number>}
 */
export function scalars(resources) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const r of resources ?? []) {
    if (r.type === 'SCALAR') out[r.name] = (out[r.name] ?? 0) + (r.scalar?.value ?? 0);
  }
  return out;
}

/**
 * Adds scalar maps.
 * @param {Record<string, number>[]} maps
 * @returns {Record<string, number>}
 */
export function sumScalars(maps) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const map of maps)
    for (const [name, value] of Object.entries(map)) out[name] = (out[name] ?? 0) + value;
  return out;
}

/**
 * `cpus 1, mem 512 MiB` for a scalar map.
 * @param {Record<string, number>} map
 */
export const fmtScalars = (map) =>
  Object.entries(map)
    .map(([name, value]) => `${name} ${fmtFor(name)(value)}`)
    .join(', ') || '—';
