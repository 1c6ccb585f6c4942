/**
 * Reading PromQL out of meso's dashboard and alerting rules, and the metric names out of PromQL,
 * so tests can check that every query names only metrics the daemons export.
 *
 * The name extraction is a small lexer, not a parser: it drops strings, label matchers, ranges
 * and grouping clauses, then keeps every identifier that is not a keyword, not a function call
 * and not part of a number or duration. That is enough for the queries we write; the Prometheus
 * test additionally has a real Prometheus parse and evaluate each of them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AgentMetrics, MasterMetrics, SchedulerMetrics, specsOf } from '../../services/metrics/index.js';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression selects. Grafana variables (`$role`, `$__rate_interval`) are ignored. */
export function metricNamesIn(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$\w+/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length);
    if (KEYWORDS.has(match[0].toLowerCase()) || /^\s*\(/.test(after)) continue;
    names.add(match[0]);
  }
  return names;
}

interface DashboardPanel {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly DashboardPanel[];
}

interface Dashboard {
  readonly panels?: readonly DashboardPanel[];
  readonly templating?: { readonly list?: readonly { readonly name: string; readonly query?: unknown }[] };
}

export interface LabelledExpr {
  /** Where the expression comes from, for messages: a panel title, a variable or an alert name. */
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression of a Grafana dashboard: panel targets and query variables (`label_values(expr, label)`). */
export function dashboardExpressions(dashboard: Dashboard): LabelledExpr[] {
  const fromPanels = (panels: readonly DashboardPanel[]): LabelledExpr[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((t) =>
        t.expr === undefined ? [] : [{ where: `panel '${panel.title}'`, expr: t.expr }],
      ),
      ...fromPanels(panel.panels ?? []),
    ]);
  const fromVariables = (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query =
      typeof variable.query === 'string'
        ? variable.query
        : (variable.query as { query?: string } | undefined)?.query;
    const selector =
      query === undefined ? undefined : /^label_values\((.+),\s*\w+\)$/.exec(query.trim())?.[1];
    return selector === undefined ? [] : [{ where: `variable '${variable.name}'`, expr: selector }];
  });
  return [...fromPanels(dashboard.panels ?? []), ...fromVariables];
}

/** Every alert's expression in a Prometheus rules file. */
export function ruleExpressions(rules: {
  readonly groups: readonly {
    readonly rules: readonly { readonly alert?: string; readonly record?: string; readonly expr: string }[];
  }[];
}): LabelledExpr[] {
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `rule '${rule.alert ?? rule.record}'`, expr: rule.expr })),
  );
}

/** The repository root (the directory holding package.json), from `test/` or `dist/test/`. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root above test/helpers');
    dir = parent;
  }
  return dir;
}

export const DASHBOARD_PATH = 'compose/grafana/dashboards/meso.json';
export const ALERTS_PATH = 'compose/prometheus/alerts.yml';

/** The dashboard and the alerting rules, parsed, with every PromQL expression they hold. */
export async function loadMonitoringArtifacts() {
  const root = repositoryRoot();
  const dashboard = JSON.parse(await readFile(join(root, DASHBOARD_PATH), 'utf8')) as Dashboard;
  const rules = parse(await readFile(join(root, ALERTS_PATH), 'utf8')) as Parameters<
    typeof ruleExpressions
  >[0];
  return { dashboard, rules, expressions: [...dashboardExpressions(dashboard), ...ruleExpressions(rules)] };
}

/** Every series name the daemons can export: each spec's name, and a histogram's `_bucket`, `_sum`, `_count`. */
export function exportedSeries(): Set<string> {
  const specs = [MasterMetrics, AgentMetrics, SchedulerMetrics].flatMap((catalogue) => specsOf(catalogue));
  return new Set(
    specs.flatMap((spec) =>
      spec.type === 'histogram'
        ? ['_bucket', '_sum', '_count'].map((suffix) => `${spec.name}${suffix}`)
        : [spec.name],
    ),
  );
}
