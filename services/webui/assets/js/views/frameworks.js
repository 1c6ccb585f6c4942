// @ts-check
/**
 * Frameworks: roles and dominant shares, tasks, what they hold, and what they do with offers
 * (outstanding now; sent, accepted, declined and rescinded since the master started). A framework
 * that declines everything or is offered nothing shows it at once. Frameworks with a `webui_url`
 * link to it, and those whose URL answers `/v2/queue` show why their waiting apps are not placed.
 */
import { fmtFor, fmtPct, fromTimeInfo, fmtAge, h, replace, scalars, table } from '../dom.js';
import { apiBaseOf, PlacementQueues, renderWhyNotPlaced } from '../placement.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

/** @param {Record<string, any>} fw */
const rolesOf = (fw) => fw.framework_info.roles ?? [fw.framework_info.role ?? '*'];

/** @param {Record<string, any>} fw */
function status(fw) {
  if (!fw.active && !fw.connected) return fw.recovered ? 'recovered' : 'inactive';
  return fw.connected ? 'active' : 'disconnected';
}

/** @param {Record<string, number>} held */
const heldText = (held) =>
  ['cpus', 'mem', 'disk', 'gpus']
    .filter((name) => (held[name] ?? 0) > 0)
    .map((name) => `${name} ${fmtFor(name)(held[name] ?? 0)}`)
    .join(', ') || '—';

/** @param {ClusterStore} store */
export function frameworksView(store) {
  const active = h('div', {});
  const completedRegion = h('div', {});
  const queuesRegion = h('div', {});
  // Outside the re-rendered regions, so an opened list stays open across updates.
  const details = h('details', {}, h('summary', {}, 'Completed frameworks'), completedRegion);
  const el = h('div', { class: 'frameworks' }, active, queuesRegion, details);
  const withApi = () =>
    [...store.frameworks.values()].flatMap((fw) => {
      const base = apiBaseOf(fw);
      return base === undefined ? [] : [{ name: String(fw.framework_info.name), base }];
    });
  const queues = new PlacementQueues(
    () => [...new Set(withApi().map((f) => f.base))],
    () => renderWhyNotPlaced(queuesRegion, withApi(), queues),
  );
  queues.start();
  const update = () => {
    const live = store.liveTasks();
    const now = Date.now() / 1000;
    const rows = [...store.frameworks.values()].map((fw) => {
      const id = fw.framework_info.id.value;
      const stats = fw.offer_stats ?? {};
      const shares = /** @type {{role: string, share: number}[]} */ (fw.dominant_shares ?? []);
      const tasks = live.filter((t) => t.framework_id.value === id).length;
      const base = apiBaseOf(fw);
      return [
        [
          h('strong', {}, fw.framework_info.name),
          h('div', { class: 'id' }, id),
          base === undefined ? null : h('a', { href: base, rel: 'noopener noreferrer' }, 'API'),
        ],
        rolesOf(fw).join(', '),
        status(fw),
        shares.map((s) => `${s.role} ${fmtPct(s.share)}`).join(', ') || '—',
        h(
          'a',
          {
            href: `#/tasks?framework=${encodeURIComponent(id)}`,
            'aria-label': `${tasks} active tasks of ${fw.framework_info.name}`,
          },
          tasks,
        ),
        heldText(scalars(fw.allocated_resources)),
        String(stats.outstanding ?? 0),
        `${stats.sent ?? 0} / ${stats.accepted ?? 0} / ${stats.declined ?? 0} / ${stats.rescinded ?? 0}`,
        String(stats.filtered_agents ?? 0),
        `${fmtAge(now - (fromTimeInfo(fw.registered_time) ?? now))} ago`,
      ];
    });
    const completed = [...store.completedFrameworks.values()].map((fw) => [
      [h('strong', {}, fw.framework_info.name), h('div', { class: 'id' }, fw.framework_info.id.value)],
      rolesOf(fw).join(', '),
      h('a', { href: `#/tasks?framework=${encodeURIComponent(fw.framework_info.id.value)}` }, 'tasks'),
    ]);
    replace(
      active,
      table(
        `${rows.length} framework${rows.length === 1 ? '' : 's'}`,
        [
          'Framework',
          'Roles',
          'State',
          'Dominant share',
          'Tasks',
          'Holds',
          'Offers now',
          'Offers sent / accepted / declined / rescinded',
          'Agents filtered',
          'Registered',
        ],
        rows,
        'No framework is subscribed.',
      ),
    );
    replace(
      completedRegion,
      table(`${completed.length} completed`, ['Framework', 'Roles', 'Tasks'], completed, 'None.'),
    );
    renderWhyNotPlaced(queuesRegion, withApi(), queues);
  };
  return { title: 'Frameworks', el, update, dispose: () => queues.stop() };
}
