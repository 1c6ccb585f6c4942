/**
 * Resource algebra: immutable bags of named scalar, range and set resources, each either unreserved
 * (role `*`) or reserved for a role.
 *
 * Scalars are held as integer milli-units (Mesos keeps three decimals), so repeated add/subtract
 * never leaves crumbs such as 0.0999 cpus; they are converted back only at the wire boundary.
 */
import { invalidCall } from './errors.js';
import {
  addRanges,
  formatRanges,
  normalizeRanges,
  type Range,
  rangesContain,
  rangesSize,
  subtractRanges,
} from './ranges.js';
import type { Resource } from './v1/common.js';

export const UNRESERVED = '*';

type Entry =
  | { readonly kind: 'scalar'; readonly name: string; readonly role: string; readonly milli: number }
  | {
      readonly kind: 'ranges';
      readonly name: string;
      readonly role: string;
      readonly ranges: readonly Range[];
    }
  | { readonly kind: 'set'; readonly name: string; readonly role: string; readonly items: readonly string[] };

const keyOf = (name: string, role: string): string => `${name}(${role})`;
export const toMilli = (value: number): number => Math.round(value * 1000);
export const fromMilli = (milli: number): number => milli / 1000;

/** Resource names whose scalar value is always present in Mesos's legacy JSON objects. */
const LEGACY_ALWAYS = ['cpus', 'gpus', 'mem', 'disk'] as const;

export class Resources {
  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  static readonly EMPTY = new Resources(new Map());

  /** Unreserved scalars, e.g. `Resources.scalars({ cpus: 1, mem: 128 })`. */
  static scalars(values: Readonly<Record<string, number>>, role = UNRESERVED): Resources {
    const entries = new Map<string, Entry>();
    for (const [name, value] of Object.entries(values)) {
      const milli = toMilli(value);
      if (milli > 0) entries.set(keyOf(name, role), { kind: 'scalar', name, role, milli });
    }
    return new Resources(entries);
  }

  static ranges(name: string, ranges: readonly Range[], role = UNRESERVED): Resources {
    const normalized = normalizeRanges(ranges);
    if (normalized.length === 0) return Resources.EMPTY;
    return new Resources(new Map([[keyOf(name, role), { kind: 'ranges', name, role, ranges: normalized }]]));
  }

  static set(name: string, items: readonly string[], role = UNRESERVED): Resources {
    const unique = [...new Set(items)].sort();
    if (unique.length === 0) return Resources.EMPTY;
    return new Resources(new Map([[keyOf(name, role), { kind: 'set', name, role, items: unique }]]));
  }

  /**
   * Parses the agent flag format: `cpus:4;mem:8192;disk(role):100;ports:[31000-32000];zones:{a,b}`.
   * A JSON array of v1 Resource objects is accepted too, as Mesos does.
   */
  static parse(text: string, defaultRole = UNRESERVED): Resources {
    const trimmed = text.trim();
    if (trimmed.startsWith('[') && trimmed.includes('"name"')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (err) {
        throw invalidCall(`resources '${text}' is not valid JSON: ${(err as Error).message}`);
      }
      return Resources.fromV1(parsed as Resource[]);
    }
    let result = Resources.EMPTY;
    for (const part of trimmed.split(';').map((s) => s.trim())) {
      if (part === '') continue;
      const match = /^([A-Za-z0-9_.\-/]+)(?:\(([^)]*)\))?\s*:\s*(.+)$/.exec(part);
      if (match === null) throw invalidCall(`resource '${part}' is not of the form name:value`);
      const [, name, role, value] = match as unknown as [string, string, string | undefined, string];
      result = result.plus(parseValue(name, role ?? defaultRole, value.trim()));
    }
    return result;
  }

  /** Builds from v1 JSON resources, validating values (negative or malformed values are rejected). */
  static fromV1(resources: readonly Resource[]): Resources {
    let result = Resources.EMPTY;
    for (const r of resources) {
      const role = reservationRole(r);
      switch (r.type) {
        case 'SCALAR': {
          const value = r.scalar?.value;
          if (value === undefined || !Number.isFinite(value) || value < 0) {
            throw invalidCall(`resource '${r.name}' has an invalid scalar value`);
          }
          result = result.plus(Resources.scalars({ [r.name]: value }, role));
          break;
        }
        case 'RANGES': {
          const ranges = r.ranges?.range ?? [];
          for (const range of ranges) {
            if (!Number.isInteger(range.begin) || !Number.isInteger(range.end) || range.begin > range.end) {
              throw invalidCall(`resource '${r.name}' has an invalid range ${range.begin}-${range.end}`);
            }
          }
          result = result.plus(Resources.ranges(r.name, ranges, role));
          break;
        }
        case 'SET':
          result = result.plus(Resources.set(r.name, r.set?.item ?? [], role));
          break;
      }
    }
    return result;
  }

  isEmpty(): boolean {
    return this.entries.size === 0;
  }

  plus(other: Resources): Resources {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const entries = new Map(this.entries);
    for (const [key, b] of other.entries) {
      const a = entries.get(key);
      entries.set(key, a === undefined ? b : combine(a, b, 'add'));
    }
    return new Resources(entries);
  }

  /** Removes `other`; whatever of `other` is not present is ignored (callers check `contains` first). */
  minus(other: Resources): Resources {
    if (other.isEmpty() || this.isEmpty()) return this;
    const entries = new Map(this.entries);
    for (const [key, b] of other.entries) {
      const a = entries.get(key);
      if (a === undefined) continue;
      const left = combine(a, b, 'subtract');
      if (isEmptyEntry(left)) entries.delete(key);
      else entries.set(key, left);
    }
    return new Resources(entries);
  }

  contains(other: Resources): boolean {
    for (const [key, b] of other.entries) {
      const a = this.entries.get(key);
      if (a === undefined || !entryContains(a, b)) return false;
    }
    return true;
  }

  equals(other: Resources): boolean {
    return this.contains(other) && other.contains(this);
  }

  /** Total milli-units of scalar `name` across all reservations. */
  scalarMilli(name: string): number {
    let sum = 0;
    for (const e of this.entries.values()) if (e.kind === 'scalar' && e.name === name) sum += e.milli;
    return sum;
  }

  scalar(name: string): number {
    return fromMilli(this.scalarMilli(name));
  }

  /** Every scalar resource's total in milli-units, summed across reservations (what DRF shares count). */
  scalarQuantities(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.entries.values()) {
      if (e.kind === 'scalar') out.set(e.name, (out.get(e.name) ?? 0) + e.milli);
    }
    return out;
  }

  /** The ranges of `name` across all reservations, merged. */
  rangesOf(name: string): Range[] {
    const parts: Range[] = [];
    for (const e of this.entries.values())
      if (e.kind === 'ranges' && e.name === name) parts.push(...e.ranges);
    return normalizeRanges(parts);
  }

  names(): Set<string> {
    return new Set([...this.entries.values()].map((e) => e.name));
  }

  /** Only the entries `keep` accepts. */
  filter(keep: (name: string, role: string) => boolean): Resources {
    const entries = new Map<string, Entry>();
    for (const [key, e] of this.entries) if (keep(e.name, e.role)) entries.set(key, e);
    return entries.size === this.entries.size ? this : new Resources(entries);
  }

  unreserved(): Resources {
    return this.filter((_, role) => role === UNRESERVED);
  }

  /** What a framework in `role` may use: unreserved resources plus those reserved for `role`. */
  usableBy(role: string): Resources {
    return this.filter((_, r) => r === UNRESERVED || r === role);
  }

  reservedRoles(): Set<string> {
    const roles = new Set<string>();
    for (const e of this.entries.values()) if (e.role !== UNRESERVED) roles.add(e.role);
    return roles;
  }

  /** The v1 JSON form, each resource tagged with `allocation_info.role` when `allocationRole` is given. */
  toV1(allocationRole?: string): Resource[] {
    const out: Resource[] = [];
    for (const e of this.entries.values()) {
      // Pre-refinement format (`role`), what frameworks without RESERVATION_REFINEMENT expect.
      const base: Resource = { name: e.name, type: 'SCALAR', role: e.role };
      if (allocationRole !== undefined) base.allocation_info = { role: allocationRole };
      if (e.kind === 'scalar') out.push({ ...base, type: 'SCALAR', scalar: { value: fromMilli(e.milli) } });
      else if (e.kind === 'ranges') out.push({ ...base, type: 'RANGES', ranges: { range: [...e.ranges] } });
      else out.push({ ...base, type: 'SET', set: { item: [...e.items] } });
    }
    return out;
  }

  /**
   * Mesos's legacy collapsed object (`{"cpus":2,"gpus":0,"mem":1024,"disk":0,"ports":"[31000-31005]"}`)
   * used by `/master/state` and friends.
   */
  toLegacyObject(): Record<string, number | string> {
    const out: Record<string, number | string> = {};
    for (const name of LEGACY_ALWAYS) out[name] = this.scalar(name);
    for (const e of this.entries.values()) {
      if (e.kind === 'scalar') out[e.name] = this.scalar(e.name);
      else if (e.kind === 'ranges') out[e.name] = formatRanges(this.rangesOf(e.name));
      else out[e.name] = `{${e.items.join(', ')}}`;
    }
    return out;
  }

  /** The flag format, e.g. `cpus:4;mem:8192;ports:[31000-32000]`. */
  toString(): string {
    return [...this.entries.values()]
      .map((e) => {
        const name = e.role === UNRESERVED ? e.name : `${e.name}(${e.role})`;
        if (e.kind === 'scalar') return `${name}:${fromMilli(e.milli)}`;
        if (e.kind === 'ranges') return `${name}:[${e.ranges.map((r) => `${r.begin}-${r.end}`).join(',')}]`;
        return `${name}:{${e.items.join(',')}}`;
      })
      .join(';');
  }

  /** Number of distinct (name, role) entries; ranges count as one. */
  get size(): number {
    return this.entries.size;
  }

  /** Count of range elements of `name`, e.g. the number of ports. */
  rangeCount(name: string): number {
    return rangesSize(this.rangesOf(name));
  }
}

function reservationRole(r: Resource): string {
  const stack = r.reservations;
  if (stack !== undefined && stack.length > 0) return stack[stack.length - 1]?.role ?? UNRESERVED;
  return r.role ?? UNRESERVED;
}

function parseValue(name: string, role: string, value: string): Resources {
  if (value.startsWith('[')) {
    if (!value.endsWith(']'))
      throw invalidCall(`resource '${name}' has an unterminated range list '${value}'`);
    const body = value.slice(1, -1).trim();
    const ranges: Range[] = [];
    for (const part of body === '' ? [] : body.split(',')) {
      const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
      if (m === null) throw invalidCall(`resource '${name}' has a malformed range '${part.trim()}'`);
      const begin = Number(m[1]);
      const end = Number(m[2]);
      if (begin > end)
        throw invalidCall(`resource '${name}' has a range ${begin}-${end} that ends before it begins`);
      ranges.push({ begin, end });
    }
    return Resources.ranges(name, ranges, role);
  }
  if (value.startsWith('{')) {
    if (!value.endsWith('}')) throw invalidCall(`resource '${name}' has an unterminated set '${value}'`);
    const items = value
      .slice(1, -1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return Resources.set(name, items, role);
  }
  const scalar = Number(value);
  if (!Number.isFinite(scalar) || scalar < 0 || value === '') {
    throw invalidCall(`resource '${name}' has an invalid value '${value}'`);
  }
  return Resources.scalars({ [name]: scalar }, role);
}

function combine(a: Entry, b: Entry, op: 'add' | 'subtract'): Entry {
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    return { ...a, milli: op === 'add' ? a.milli + b.milli : Math.max(0, a.milli - b.milli) };
  }
  if (a.kind === 'ranges' && b.kind === 'ranges') {
    return {
      ...a,
      ranges: op === 'add' ? addRanges(a.ranges, b.ranges) : subtractRanges(a.ranges, b.ranges),
    };
  }
  if (a.kind === 'set' && b.kind === 'set') {
    const items =
      op === 'add'
        ? [...new Set([...a.items, ...b.items])].sort()
        : a.items.filter((item) => !b.items.includes(item));
    return { ...a, items };
  }
  throw invalidCall(`resource '${a.name}' is used with two different types`);
}

function entryContains(a: Entry, b: Entry): boolean {
  if (a.kind === 'scalar' && b.kind === 'scalar') return a.milli >= b.milli;
  if (a.kind === 'ranges' && b.kind === 'ranges') return rangesContain(a.ranges, b.ranges);
  if (a.kind === 'set' && b.kind === 'set') return b.items.every((item) => a.items.includes(item));
  return false;
}

function isEmptyEntry(e: Entry): boolean {
  if (e.kind === 'scalar') return e.milli <= 0;
  if (e.kind === 'ranges') return e.ranges.length === 0;
  return e.items.length === 0;
}
