/**
 * Dominant Resource Fairness ordering (Ghodsi et al., NSDI'11), kept incrementally: an allocation
 * change repositions one client (binary search plus one array move), and a change of the cluster
 * totals, which moves every share at once, only marks the order stale so the next read re-sorts.
 * This is what Mesos 1.7 gained by no longer re-sorting on every pick (MESOS-9249).
 */
import { MesoError } from '../core/errors.js';
import { addQuantities, type MilliQuantities, subtractQuantities } from './quantities.js';

/**
 * The cluster totals every share is measured against, shared by the role sorter and all framework
 * sorters (as in Mesos 1.7+, a framework's share within its role is measured against the whole
 * cluster). Sorters compare `version` to notice a change lazily, so adding one agent costs O(1)
 * however many sorters exist.
 */
export class ShareBasis {
  private readonly totalsMilli: MilliQuantities = new Map();
  private readonly excludedNames: ReadonlySet<string>;
  private changes = 0;

  constructor(fairnessExcludedResourceNames: readonly string[]) {
    this.excludedNames = new Set(fairnessExcludedResourceNames);
  }

  /** Increases on every change of the totals. */
  get version(): number {
    return this.changes;
  }

  add(quantities: ReadonlyMap<string, number>): void {
    addQuantities(this.totalsMilli, quantities);
    this.changes++;
  }

  subtract(quantities: ReadonlyMap<string, number>): void {
    subtractQuantities(this.totalsMilli, quantities);
    this.changes++;
  }

  /**
   * max over resource names of allocated/total, skipping excluded names and names the cluster has
   * none of. In [0, 1] while allocations stay within the totals.
   */
  dominantShare(allocation: ReadonlyMap<string, number>): number {
    let share = 0;
    for (const [name, milli] of allocation) {
      if (this.excludedNames.has(name)) continue;
      const total = this.totalsMilli.get(name) ?? 0;
      if (total > 0 && milli / total > share) share = milli / total;
    }
    return share;
  }
}

/** A client as seen through the sorter's order. */
export interface SortedClient<T> {
  readonly id: string;
  readonly payload: T;
}

interface Client<T> extends SortedClient<T> {
  /** Index into `byHandle`, dense and recycled, so the order can be kept in typed arrays. */
  readonly handle: number;
  readonly key: number;
  readonly allocation: MilliQuantities;
  weight: number;
  /** Times the client was chosen; breaks share ties so equal clients take turns (Mesos `count`). */
  allocationCount: number;
  /** Weighted dominant share as of the last computation. */
  share: number;
  active: boolean;
}

/**
 * Lower weighted share first, then fewer allocations received, then id. Two distinct clients never
 * compare equal, so the order is total and reproducible.
 */
function compareClients<T>(a: Client<T>, b: Client<T>): number {
  if (a.share !== b.share) return a.share - b.share;
  if (a.allocationCount !== b.allocationCount) return a.allocationCount - b.allocationCount;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Orders clients (roles, or the frameworks of one role) by weighted dominant share. Only active
 * clients appear in the order; inactive ones keep their allocation and share.
 *
 * The order is two typed arrays, position for position: client handles, and each client's `key`
 * (an integer the owner derives from the payload, e.g. a filter slot). Moving a client is then a
 * memmove, and a hot loop can walk the keys without touching an object per position.
 */
export class DrfSorter<T> {
  private readonly clients = new Map<string, Client<T>>();
  private readonly byHandle: (Client<T> | undefined)[] = [];
  private readonly recycledHandles: number[] = [];
  /** Active clients in ascending order in `[0, orderedCount)`; valid only while `isSorted()`. */
  private orderedHandles = new Int32Array(INITIAL_CAPACITY);
  private orderedKeyArray = new Int32Array(INITIAL_CAPACITY);
  private orderedCount = 0;
  private sortedAtVersion = -1;
  private snapshot: readonly T[] | undefined;
  /** Counted apart from `orderedCount`, which lags behind while the order is stale. */
  private activeClients = 0;

  constructor(
    private readonly basis: ShareBasis,
    private readonly keyOf: (payload: T) => number = () => 0,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  get activeCount(): number {
    return this.activeClients;
  }

  has(id: string): boolean {
    return this.clients.has(id);
  }

  isActive(id: string): boolean {
    return this.clients.get(id)?.active === true;
  }

  /** True when client `a` comes before client `b` in the order (both must exist). */
  precedes(a: string, b: string): boolean {
    this.ensureSorted();
    return compareClients(this.clients.get(a)!, this.clients.get(b)!) < 0;
  }

  /** Adds a client with no allocation; adding an existing id is a no-op. */
  add(id: string, payload: T, active: boolean, weight = 1): void {
    if (this.clients.has(id)) return;
    const handle = this.recycledHandles.pop() ?? this.byHandle.length;
    const client: Client<T> = {
      id,
      payload,
      handle,
      key: this.keyOf(payload),
      allocation: new Map(),
      weight,
      allocationCount: 0,
      share: 0,
      active: false,
    };
    this.clients.set(id, client);
    this.byHandle[handle] = client;
    if (active) this.setActive(id, true);
  }

  /** Forgets the client and its allocation. */
  remove(id: string): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    this.setActive(id, false);
    this.clients.delete(id);
    this.byHandle[client.handle] = undefined;
    this.recycledHandles.push(client.handle);
  }

  setActive(id: string, active: boolean): void {
    const client = this.clients.get(id);
    if (client === undefined || client.active === active) return;
    if (active) {
      client.share = this.shareOf(client);
      if (this.isSorted()) this.insertAt(this.lowerBound(client, 0, this.orderedCount), client);
    } else {
      const position = this.positionOf(client);
      if (position >= 0) this.removeAt(position);
    }
    client.active = active;
    this.activeClients += active ? 1 : -1;
  }

  setWeight(id: string, weight: number): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    const from = this.positionOf(client);
    client.weight = weight;
    this.reposition(client, from);
  }

  /** Adds `quantities` to the client's allocation and counts one more allocation for tie-breaks. */
  allocated(id: string, quantities: ReadonlyMap<string, number>): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    const from = this.positionOf(client);
    addQuantities(client.allocation, quantities);
    client.allocationCount++;
    this.reposition(client, from);
  }

  unallocated(id: string, quantities: ReadonlyMap<string, number>): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    const from = this.positionOf(client);
    subtractQuantities(client.allocation, quantities);
    this.reposition(client, from);
  }

  allocation(id: string): ReadonlyMap<string, number> {
    return this.clients.get(id)?.allocation ?? new Map();
  }

  /** Weighted dominant share, or 0 for an unknown client. */
  share(id: string): number {
    const client = this.clients.get(id);
    if (client === undefined) return 0;
    this.ensureSorted();
    return client.share;
  }

  /**
   * The keys of the active clients in order, valid at positions `[0, activeCount)` until the next
   * change to the sorter; pair with `clientAt`.
   */
  orderedKeys(): Int32Array {
    this.ensureSorted();
    return this.orderedKeyArray;
  }

  /** The active client at `position` in the order, as of the last `orderedKeys` call. */
  clientAt(position: number): SortedClient<T> {
    return this.byHandle[this.orderedHandles[position]!]!;
  }

  /** Active client ids in order; a copy, for tests and diagnostics. */
  orderedIds(): string[] {
    this.ensureSorted();
    return Array.from(
      this.orderedHandles.subarray(0, this.orderedCount),
      (handle) => this.byHandle[handle]!.id,
    );
  }

  /** The payloads of active clients in order, as a copy that later changes leave untouched. */
  orderSnapshot(): readonly T[] {
    this.ensureSorted();
    this.snapshot ??= Array.from(
      this.orderedHandles.subarray(0, this.orderedCount),
      (handle) => this.byHandle[handle]!.payload,
    );
    return this.snapshot;
  }

  private isSorted(): boolean {
    return this.sortedAtVersion === this.basis.version;
  }

  /** Recomputes every share and sorts; runs only after the cluster totals changed. */
  private ensureSorted(): void {
    if (this.isSorted()) return;
    const active: Client<T>[] = [];
    for (const client of this.clients.values()) {
      client.share = this.shareOf(client);
      if (client.active) active.push(client);
    }
    active.sort(compareClients);
    this.ensureCapacity(active.length);
    active.forEach((client, position) => this.place(position, client));
    this.orderedCount = active.length;
    this.sortedAtVersion = this.basis.version;
    this.snapshot = undefined;
  }

  private shareOf(client: Client<T>): number {
    return this.basis.dominantShare(client.allocation) / client.weight;
  }

  /** The client's position in the order, or -1 when it is not placed (inactive, or the order is stale). */
  private positionOf(client: Client<T>): number {
    if (!client.active || !this.isSorted()) return -1;
    // The key has not changed since the client was placed, so binary search finds it exactly.
    const position = this.lowerBound(client, 0, this.orderedCount);
    if (this.orderedHandles[position] !== client.handle) {
      throw new MesoError('ILLEGAL_STATE', `sorter lost track of client '${client.id}'`);
    }
    return position;
  }

  /**
   * Moves a client whose key just changed from position `from` to its new place, shifting only the
   * clients in between.
   */
  private reposition(client: Client<T>, from: number): void {
    client.share = this.shareOf(client);
    if (from < 0) return;
    let to: number;
    if (from + 1 < this.orderedCount && compareClients(this.at(from + 1), client) < 0) {
      to = this.lowerBound(client, from + 1, this.orderedCount) - 1;
      this.shift(from + 1, to + 1, from);
    } else if (from > 0 && compareClients(client, this.at(from - 1)) < 0) {
      to = this.lowerBound(client, 0, from);
      this.shift(to, from, to + 1);
    } else {
      return;
    }
    this.place(to, client);
    this.snapshot = undefined;
  }

  private insertAt(position: number, client: Client<T>): void {
    this.ensureCapacity(this.orderedCount + 1);
    this.shift(position, this.orderedCount, position + 1);
    this.place(position, client);
    this.orderedCount++;
    this.snapshot = undefined;
  }

  private removeAt(position: number): void {
    this.shift(position + 1, this.orderedCount, position);
    this.orderedCount--;
    this.snapshot = undefined;
  }

  /** Copies positions `[start, end)` to begin at `target` in both arrays (a memmove). */
  private shift(start: number, end: number, target: number): void {
    this.orderedHandles.copyWithin(target, start, end);
    this.orderedKeyArray.copyWithin(target, start, end);
  }

  private place(position: number, client: Client<T>): void {
    this.orderedHandles[position] = client.handle;
    this.orderedKeyArray[position] = client.key;
  }

  private at(position: number): Client<T> {
    return this.byHandle[this.orderedHandles[position]!]!;
  }

  private ensureCapacity(count: number): void {
    if (count <= this.orderedHandles.length) return;
    const capacity = Math.max(count, this.orderedHandles.length * 2);
    const handles = new Int32Array(capacity);
    handles.set(this.orderedHandles);
    this.orderedHandles = handles;
    const keys = new Int32Array(capacity);
    keys.set(this.orderedKeyArray);
    this.orderedKeyArray = keys;
  }

  /** The first position in [low, high) whose client is not ordered before `client`. */
  private lowerBound(client: Client<T>, low: number, high: number): number {
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareClients(this.at(middle), client) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

const INITIAL_CAPACITY = 16;
