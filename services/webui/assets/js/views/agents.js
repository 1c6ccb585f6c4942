// @ts-check
/** Agents: resources used and offered against their totals, attributes, tasks; unreachable ones apart. */
import { usageBar } from '../charts.js';
import { fmtAge, fmtFor, fromTimeInfo, h, replace, table } from '../dom.js';
import { agentUsage } from '../usage.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

/**
 * @param {Record<string, any>} attribute a v1 Attribute
 */
function attributeText(attribute) {
  if (attribute.type === 'SCALAR') return `${attribute.name}=${attribute.scalar?.value}`;
  if (attribute.type === 'TEXT') return `${attribute.name}=${attribute.text?.value}`;
  if (attribute.type === 'SET') return `${attribute.name}={${(attribute.set?.item ?? []).join(',')}}`;
  const ranges = (attribute.ranges?.range ?? []).map((/** @type {any} */ r) => `${r.begin}-${r.end}`);
  return `${attribute.name}=[${ranges.join(',')}]`;
}

/**
 * An operator's drain or deactivation first (draining, drained, deactivated), else whether the
 * agent is connected.
 * @param {Record<string, any>} agent a v1 Agent
 */
function agentState(agent) {
  if (agent.drain_info !== undefined) return String(agent.drain_info.state).toLowerCase();
  if (agent.deactivated === true) return 'deactivated';
  return agent.active ? 'active' : 'inactive';
}

/** @param {ClusterStore} store */
export function agentsView(store) {
  const el = h('div', { class: 'agents' });
  const update = () => {
    const all = [...store.agents.entries()];
    const reachable = all.filter(([, a]) => a.unreachableSince === undefined);
    const unreachable = all.filter(([, a]) => a.unreachableSince !== undefined);
    const now = Date.now() / 1000;
    const liveTasks = store.liveTasks();
    replace(
      el,
      table(
        `${reachable.length} agent${reachable.length === 1 ? '' : 's'}`,
        ['Agent', 'State', 'CPUs', 'Memory', 'Disk', 'Tasks', 'Attributes', 'Registered'],
        reachable.map(([id, { agent }]) => {
          const usage = agentUsage(store, id);
          const bar = (/** @type {string} */ name) =>
            usageBar(name, usage.used[name] ?? 0, usage.offered[name] ?? 0, usage.total[name] ?? 0);
          const tasks = liveTasks.filter((t) => t.agent_id.value === id).length;
          return [
            [h('strong', {}, agent.agent_info.hostname), h('div', { class: 'id' }, id)],
            agentState(agent),
            bar('cpus'),
            bar('mem'),
            bar('disk'),
            h(
              'a',
              {
                href: `#/tasks?agent=${encodeURIComponent(id)}`,
                'aria-label': `${tasks} tasks on ${agent.agent_info.hostname}`,
              },
              tasks,
            ),
            (agent.agent_info.attributes ?? []).map(attributeText).join(', ') || '—',
            `${fmtAge(now - (fromTimeInfo(agent.registered_time) ?? now))} ago`,
          ];
        }),
        'No agent is registered.',
      ),
      table(
        'Unreachable agents',
        ['Agent', 'Unreachable for', 'Resources', 'Tasks'],
        unreachable.map(([id, { agent, unreachableSince }]) => [
          [h('strong', {}, agent.agent_info.hostname), h('div', { class: 'id' }, id)],
          fmtAge(now - (unreachableSince ?? now)),
          (agent.total_resources ?? [])
            .filter((/** @type {any} */ r) => r.type === 'SCALAR')
            .map((/** @type {any} */ r) => `${r.name} ${fmtFor(r.name)(r.scalar.value)}`)
            .join(', '),
          h('a', { href: `#/tasks?agent=${encodeURIComponent(id)}` }, 'tasks'),
        ]),
        'No agent is unreachable.',
      ),
    );
  };
  return { title: 'Agents', el, update };
}
