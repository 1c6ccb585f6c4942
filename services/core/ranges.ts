/**
 * Inclusive integer ranges (`[31000-32000]`), kept sorted and merged so that equality, containment
 * and subtraction are linear walks.
 */
export interface Range {
  readonly begin: number;
  readonly end: number;
}

/** Sorts and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end >= r.begin).sort((a, b) => a.begin - b.begin);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.begin <= last.end + 1) {
      if (r.end > last.end) out[out.length - 1] = { begin: last.begin, end: r.end };
    } else {
      out.push({ begin: r.begin, end: r.end });
    }
  }
  return out;
}

export const addRanges = (a: readonly Range[], b: readonly Range[]): Range[] => normalizeRanges([...a, ...b]);

/** `a` minus `b`; both must be normalized. */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const r of a) {
    let begin = r.begin;
    while (j < b.length && b[j]!.end < begin) j++;
    let k = j;
    while (k < b.length && b[k]!.begin <= r.end) {
      const cut = b[k]!;
      if (cut.begin > begin) out.push({ begin, end: cut.begin - 1 });
      begin = Math.max(begin, cut.end + 1);
      k++;
    }
    if (begin <= r.end) out.push({ begin, end: r.end });
  }
  return out;
}

/** True when every number in `b` is in `a`; both must be normalized. */
export function rangesContain(a: readonly Range[], b: readonly Range[]): boolean {
  let i = 0;
  for (const r of b) {
    while (i < a.length && a[i]!.end < r.begin) i++;
    const host = a[i];
    if (host === undefined || host.begin > r.begin || host.end < r.end) return false;
  }
  return true;
}

export const rangesSize = (ranges: readonly Range[]): number =>
  ranges.reduce((sum, r) => sum + (r.end - r.begin + 1), 0);

/** Takes the first `count` numbers from the ranges, lowest first. */
export function takeFromRanges(ranges: readonly Range[], count: number): number[] {
  const out: number[] = [];
  for (const r of ranges) {
    for (let n = r.begin; n <= r.end && out.length < count; n++) out.push(n);
    if (out.length >= count) break;
  }
  return out;
}

export const formatRanges = (ranges: readonly Range[]): string =>
  `[${ranges.map((r) => `${r.begin}-${r.end}`).join(', ')}]`;
