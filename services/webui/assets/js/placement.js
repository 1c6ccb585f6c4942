// @ts-check
/**
 * "Why not placed": for frameworks whose `webui_url` answers `/v2/queue` (meso's services
 * framework, Marathon-like), the apps with instances not yet running and why: the last offers
 * considered and why each was declined, and whether the app waits for offers or backs off. The
 * framework's REST API allows any origin for reads. A framework that cannot be reached is shown as
 * "not reachable"; one that answers but has no queue (the jobs framework, others) is left out.
 */
import { h, replace } from './dom.js';

/** @typedef {Record<string, any>} Json */
/**
 * @typedef {{state: 'loading'} | {state: 'unreachable', error: string} | {state: 'none'}
 *   | {state: 'ok', queue: Json[]}} QueueState
 */

const POLL_MS = 3000;
const TIMEOUT_MS = 2500;

/**
 * The framework's REST API base, or `undefined` when it has none we may fetch (only http/https).
 * @param {Json} fw
 */
export function apiBaseOf(fw) {
  const raw = fw.framework_info?.webui_url;
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return raw.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Polls `/v2/queue` of every listed framework while `start()`ed; `onChange` after every answer.
 */
export class PlacementQueues {
  /** @type {Map<string, QueueState>} by API base URL */
  states = new Map();
  /** @type {ReturnType<typeof setInterval> | undefined} */
  timer;
  controller = new AbortController();

  /**
   * @param {() => string[]} bases the API base URLs to poll
   * @param {() => void} onChange
   */
  constructor(bases, onChange) {
    this.bases = bases;
    this.onChange = onChange;
  }

  start() {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.controller.abort();
  }

  /** @param {string} base */
  state(base) {
    return this.states.get(base) ?? { state: 'loading' };
  }

  async poll() {
    const bases = this.bases();
    for (const known of [...this.states.keys()]) if (!bases.includes(known)) this.states.delete(known);
    await Promise.all(
      bases.map(async (base) => {
        const next = await fetchQueue(base, this.controller.signal);
        if (this.controller.signal.aborted) return;
        this.states.set(base, next);
      }),
    );
    if (!this.controller.signal.aborted) this.onChange();
  }
}

/**
 * @param {string} base
 * @param {AbortSignal} signal
 * @returns {Promise<QueueState>}
 */
async function fetchQueue(base, signal) {
  let response;
  try {
    response = await fetch(`${base}/v2/queue`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
      headers: { Accept: 'application/json' },
    });
  } catch (err) {
    return { state: 'unreachable', error: err instanceof Error ? err.message : String(err) };
  }
  if (response.status === 404) return { state: 'none' };
  if (!response.ok) return { state: 'unreachable', error: `HTTP ${response.status}` };
  try {
    const body = await response.json();
    return Array.isArray(body?.queue) ? { state: 'ok', queue: body.queue } : { state: 'none' };
  } catch {
    return { state: 'none' };
  }
}

const STATUS_TEXT = /** @type {Record<string, string>} */ ({
  'waiting-for-offers': 'waiting for offers',
  'backing-off': 'backing off',
  'waiting-for-capacity': 'waiting for capacity',
  'waiting-for-health': 'waiting for health',
});

/**
 * One waiting app: status, backoff, last failure and the last offers with their verdicts.
 * @param {Json} item an entry of `/v2/queue`
 */
function waitingApp(item) {
  const offers = /** @type {Json[]} */ (item.lastOffers ?? []);
  const backoff = item.backoff?.active === true ? ` until ${item.backoff.until}` : '';
  return h(
    'li',
    { class: 'waiting-app' },
    h('strong', {}, item.appId),
    ` — ${item.tasksToLaunch ?? 0} to launch, ${STATUS_TEXT[item.status] ?? item.status}${backoff}`,
    item.lastFailure
      ? h('div', {}, `Last failure: ${item.lastFailure.state} ${item.lastFailure.message ?? ''}`)
      : null,
    offers.length === 0
      ? h('div', { class: 'muted' }, 'No offer considered yet.')
      : h(
          'ul',
          { class: 'offer-verdicts' },
          offers.map((o) =>
            h(
              'li',
              {},
              `${o.hostname ?? o.agentId}: ${o.result}`,
              o.reason === null || o.reason === undefined ? null : ` — ${o.reason}`,
            ),
          ),
        ),
  );
}

/**
 * The "Why not placed" section for `frameworks` (name and API base).
 * @param {{name: string, base: string}[]} frameworks
 * @param {PlacementQueues} queues
 */
export function whyNotPlaced(frameworks, queues) {
  const parts = frameworks.flatMap(({ name, base }) => {
    const state = queues.state(base);
    if (state.state === 'none') return [];
    const heading = h('h3', {}, name, ' ', h('a', { href: base, rel: 'noopener noreferrer' }, base));
    if (state.state === 'loading')
      return [h('div', { class: 'framework-queue' }, heading, h('p', {}, 'Loading…'))];
    if (state.state === 'unreachable')
      return [
        h(
          'div',
          { class: 'framework-queue', 'data-queue': 'unreachable' },
          heading,
          h('p', { class: 'muted' }, `not reachable (${state.error})`),
        ),
      ];
    return [
      h(
        'div',
        { class: 'framework-queue', 'data-queue': 'ok' },
        heading,
        state.queue.length === 0
          ? h('p', { class: 'muted' }, 'Every app has its instances.')
          : h('ul', {}, state.queue.map(waitingApp)),
      ),
    ];
  });
  return h(
    'section',
    { class: 'why-not-placed', 'aria-label': 'Why not placed' },
    h('h2', {}, 'Why not placed'),
    parts.length === 0 ? h('p', { class: 'muted' }, 'No framework reports a launch queue.') : parts,
  );
}

/** @param {HTMLElement} el @param {{name: string, base: string}[]} frameworks @param {PlacementQueues} queues */
export function renderWhyNotPlaced(el, frameworks, queues) {
  replace(el, whyNotPlaced(frameworks, queues));
}
