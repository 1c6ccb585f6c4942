// @ts-check
/** Roles: weights, quota (guarantees, limits, consumed), what they hold, and their dominant share. */
import { fmtNum, fmtPct, fmtScalars, h, replace, scalars, table } from '../dom.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

const REFRESH_MS = 5000;

/** @param {Record<string, {value: number}> | undefined} map Mesos's `map<string, Value.Scalar>` */
const scalarMap = (map) => Object.fromEntries(Object.entries(map ?? {}).map(([name, s]) => [name, s.value]));

/** @param {ClusterStore} store */
export function rolesView(store) {
  const status = h('p', { role: 'status', class: 'muted' });
  const results = h('div', {});
  const refresh = () =>
    store.refreshRoles().catch((/** @type {unknown} */ err) => {
      status.textContent = `Cannot read roles: ${err instanceof Error ? err.message : String(err)}`;
    });
  void refresh();
  const timer = setInterval(refresh, REFRESH_MS);

  const update = () => {
    const roles = store.roles;
    if (roles === undefined) {
      status.textContent = 'Loading…';
      return;
    }
    status.textContent = '';
    replace(
      results,
      table(
        `${roles.length} role${roles.length === 1 ? '' : 's'}`,
        [
          'Role',
          'Weight',
          'Frameworks',
          'Allocated',
          'Offered',
          'Quota guarantees',
          'Quota limits',
          'Consumed',
          'Dominant share',
        ],
        roles.map((role) => [
          h('strong', {}, role.name),
          fmtNum(role.weight ?? 1),
          String((role.frameworks ?? []).length),
          fmtScalars(scalars(role.allocated)),
          fmtScalars(scalars(role.offered)),
          role.quota === undefined ? '—' : fmtScalars(scalarMap(role.quota.guarantees)),
          role.quota === undefined ? '—' : fmtScalars(scalarMap(role.quota.limits)),
          role.quota === undefined ? '—' : fmtScalars(scalarMap(role.quota.consumed)),
          fmtPct(role.dominant_share ?? 0),
        ]),
        'No role has frameworks, resources, a weight or a quota.',
      ),
      h(
        'p',
        { class: 'muted' },
        'Change weights and quota with ',
        h('code', {}, 'meso weights set'),
        ' and ',
        h('code', {}, 'meso quota set'),
        ', or the operator API.',
      ),
    );
  };
  return {
    title: 'Roles',
    el: h('div', { class: 'roles' }, status, results),
    update,
    dispose: () => clearInterval(timer),
  };
}
