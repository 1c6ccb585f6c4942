// @ts-check
/** One task: what it is, where it runs, its status history, and a live tail of its output. */
import { fmtFor, fmtTime, h, replace, scalars, stateBadge, table } from '../dom.js';
import { SandboxTail } from '../sandbox.js';
import { isTerminal } from '../store.js';

/** @typedef {import('../store.js').ClusterStore} ClusterStore */

/** Output kept per file in the page; older text is dropped. */
const MAX_LOG_CHARS = 256 * 1024;

/**
 * `http://10.0.0.3:5051` from an agent's pid `slave(1)@10.0.0.3:5051`.
 * @param {string | undefined} pid
 */
const agentUrlOf = (pid) => {
  const match = /@(.+):(\d+)$/.exec(pid ?? '');
  return match === null ? undefined : `http://${match[1]}:${match[2]}`;
};

/** @param {string} label */
function logPane(label) {
  const pre = h('pre', { class: 'log', role: 'log', 'aria-label': label, tabindex: 0 });
  return { pre, section: h('section', { class: 'log-pane', 'aria-label': label }, h('h3', {}, label), pre) };
}

/**
 * @param {HTMLElement} pre
 * @param {string} text
 */
function appendLog(pre, text) {
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const next = (pre.textContent ?? '') + text;
  pre.textContent = next.length > MAX_LOG_CHARS ? next.slice(next.length - MAX_LOG_CHARS) : next;
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

/**
 * @param {ClusterStore} store
 * @param {string} key `<framework id>/<task id>`
 */
export function taskView(store, key) {
  const details = h('div', {});
  const history = h('div', {});
  const logStatus = h('p', { role: 'status', class: 'log-status' }, 'Looking for the task…');
  const stdout = logPane('stdout');
  const stderr = logPane('stderr');
  const logs = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'logs-heading' },
    h('h2', { id: 'logs-heading' }, 'Output'),
    logStatus,
    h('div', { class: 'logs' }, stdout.section, stderr.section),
  );
  const el = h('div', { class: 'task' }, details, history, logs);
  /** @type {SandboxTail | undefined} */
  let tail;

  const update = () => {
    const task = store.tasks.get(key);
    if (task === undefined) {
      replace(details, h('p', {}, `No task ${key} is known to the master (it may have been pruned).`));
      return;
    }
    const held = scalars(task.resources);
    const frameworkId = task.framework_id.value;
    const agentId = task.agent_id.value;
    replace(
      details,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Name'),
        h('dd', {}, task.name || '—'),
        h('dt', {}, 'Task ID'),
        h('dd', { class: 'id' }, task.task_id.value),
        h('dt', {}, 'State'),
        h('dd', {}, stateBadge(task.state)),
        h('dt', {}, 'Framework'),
        h(
          'dd',
          {},
          h(
            'a',
            { href: `#/tasks?framework=${encodeURIComponent(frameworkId)}` },
            store.frameworkName(frameworkId),
          ),
        ),
        h('dt', {}, 'Agent'),
        h(
          'dd',
          {},
          h('a', { href: `#/tasks?agent=${encodeURIComponent(agentId)}` }, store.agentHostname(agentId)),
        ),
        h('dt', {}, 'Resources'),
        h(
          'dd',
          {},
          Object.entries(held)
            .map(([n, v]) => `${n} ${fmtFor(n)(v)}`)
            .join(', ') || '—',
        ),
        task.container?.docker?.image && [h('dt', {}, 'Image'), h('dd', {}, task.container.docker.image)],
      ),
    );
    /** @type {Array<Record<string, any>>} */
    const statuses = [...(task.statuses ?? [])].reverse();
    replace(
      history,
      table(
        'Status history, newest first',
        ['Time', 'State', 'Source', 'Reason', 'Message'],
        statuses.map((s) => [
          fmtTime(s.timestamp),
          stateBadge(s.state),
          (s.source ?? '').replace('SOURCE_', '').toLowerCase() || '—',
          (s.reason ?? '').replace('REASON_', '').toLowerCase().replace(/_/g, ' ') || '—',
          s.message ?? '',
        ]),
        'No status update yet.',
      ),
    );
    if (tail === undefined) tail = startTail(store, task);
    if (tail !== undefined && isTerminal(task.state)) tail.finishing();
  };

  /**
   * @param {ClusterStore} store
   * @param {Record<string, any>} task
   */
  const startTail = (store, task) => {
    const agentUrl = agentUrlOf(store.agents.get(task.agent_id.value)?.agent.pid);
    if (agentUrl === undefined) {
      logStatus.textContent = 'The task’s agent is not known to the master; its sandbox cannot be read.';
      return undefined;
    }
    const started = new SandboxTail(agentUrl, task.framework_id.value, task.task_id.value, {
      output: (file, text) => appendLog(file === 'stdout' ? stdout.pre : stderr.pre, text),
      status: (message) => {
        if (logStatus.textContent !== message) logStatus.textContent = message;
      },
    });
    void started.run();
    return started;
  };

  const name = store.tasks.get(key)?.name;
  return {
    title: `Task ${name || key.split('/').slice(1).join('/')}`,
    el,
    update,
    dispose: () => tail?.stop(),
  };
}
