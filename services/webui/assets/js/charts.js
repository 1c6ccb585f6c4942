// @ts-check
/**
 * Small inline SVG charts. Each carries its numbers as text next to it and a text alternative
 * (`role="img"` with an `aria-label`), so nothing is conveyed by color alone.
 */
import { fmtFor, fmtPct, h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 */
function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

/**
 * A stacked bar of a resource: used by tasks, offered, idle.
 * @param {string} name resource name
 * @param {number} used
 * @param {number} offered
 * @param {number} total
 */
export function usageBar(name, used, offered, total) {
  const fmt = fmtFor(name);
  const share = (/** @type {number} */ n) => (total > 0 ? Math.min(1, n / total) : 0);
  const label = `${name}: ${fmt(used)} used, ${fmt(offered)} offered, ${fmt(Math.max(0, total - used - offered))} idle of ${fmt(total)}`;
  const chart = svg('svg', {
    viewBox: '0 0 100 10',
    preserveAspectRatio: 'none',
    class: 'bar',
    role: 'img',
    'aria-label': label,
  });
  let x = 0;
  for (const [part, value] of /** @type {const} */ ([
    ['used', used],
    ['offered', offered],
  ])) {
    const width = share(value) * 100;
    chart.append(svg('rect', { x, y: 0, width, height: 10, class: `bar-${part}` }));
    x += width;
  }
  chart.append(svg('rect', { x, y: 0, width: Math.max(0, 100 - x), height: 10, class: 'bar-idle' }));
  return h(
    'div',
    { class: 'usage' },
    h(
      'div',
      { class: 'usage-head' },
      h('strong', {}, name),
      h('span', {}, `${fmtPct(share(used + offered))} allocated`),
    ),
    chart,
    h(
      'div',
      { class: 'usage-legend' },
      h('span', { class: 'key key-used' }, `used ${fmt(used)}`),
      h('span', { class: 'key key-offered' }, `offered ${fmt(offered)}`),
      h('span', {}, `total ${fmt(total)}`),
    ),
  );
}

/**
 * A line of fractions (0..1) over time, newest on the right.
 * @param {number[]} values
 * @param {string} label what the line shows, for the text alternative
 */
export function sparkline(values, label) {
  const width = 120;
  const height = 28;
  const last = values.at(-1) ?? 0;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'spark',
    role: 'img',
    'aria-label': `${label}: ${fmtPct(last)} now, over the last ${values.length} samples`,
  });
  // One sample is drawn as a flat line across the chart.
  const drawn = values.length === 1 ? [values[0] ?? 0, values[0] ?? 0] : values;
  const step = drawn.length > 1 ? width / (drawn.length - 1) : 0;
  const points = drawn.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 2 - v * (height - 4)).toFixed(1)}`,
  );
  chart.append(
    svg('polygon', {
      points: [`0,${height}`, ...points, `${width},${height}`].join(' '),
      class: 'spark-area',
    }),
    svg('polyline', { points: points.join(' '), class: 'spark-line' }),
  );
  return chart;
}
