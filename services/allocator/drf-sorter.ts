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
 */
export class DrfSorter<T> {
  private readonly clients = new Map<string, Client<T>>();
  /** Active clients in ascending order; valid only when `sortedAtVersion` matches the basis. */
  private ordered: Client<T>[] = [];
  private sortedAtVersion = -1;
  private snapshot: readonly T[] | undefined;
  /** Counted apart from `ordered`, which lags behind while the order is stale. */
  private activeClients = 0;

  constructor(private readonly basis: ShareBasis) {}

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
    const client: Client<T> = {
      id,
      payload,
      allocation: new Map(),
      weight,
      allocationCount: 0,
      share: 0,
      active,
    };
    this.clients.set(id, client);
    if (active) {
      this.insert(client);
      this.activeClients++;
    }
  }

  /** Forgets the client and its allocation. */
  remove(id: string): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    if (client.active) {
      this.detach(client);
      this.activeClients--;
    }
    this.clients.delete(id);
  }

  setActive(id: string, active: boolean): void {
    const client = this.clients.get(id);
    if (client === undefined || client.active === active) return;
    if (active) this.insert(client);
    else this.detach(client);
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
   * Active clients, lowest share first. The array is live: the next change to the sorter may
   * reorder it, so callers read it to the first pick and call again after changing anything.
   */
  orderedClients(): readonly SortedClient<T>[] {
    this.ensureSorted();
    return this.ordered;
  }

  /** The payloads of active clients in order, as a copy that later changes leave untouched. */
  orderSnapshot(): readonly T[] {
    this.ensureSorted();
    this.snapshot ??= this.ordered.map((client) => client.payload);
    return this.snapshot;
  }

  /** The client's index in the order, or -1 when it is not placed (inactive, or the order is stale). */
  private positionOf(client: Client<T>): number {
    if (!client.active || !this.isSorted()) return -1;
    // The key has not changed since the client was placed, so binary search finds it exactly.
    const index = this.lowerBound(client, 0, this.ordered.length);
    if (this.ordered[index] !== client) {
      throw new MesoError('ILLEGAL_STATE', `sorter lost track of client '${client.id}'`);
    }
    return index;
  }

  /**
   * Moves a client whose key just changed from index `from` to its new place, shifting only the
   * clients in between: one pass over at most n entries, usually far fewer.
   */
  private reposition(client: Client<T>, from: number): void {
    client.share = this.shareOf(client);
    if (from < 0) return;
    const ordered = this.ordered;
    let to: number;
    // Plain loops: `Array.prototype.copyWithin` on object arrays is many times slower in V8.
    if (from + 1 < ordered.length && compareClients(ordered[from + 1]!, client) < 0) {
      to = this.lowerBound(client, from + 1, ordered.length) - 1;
      for (let i = from; i < to; i++) ordered[i] = ordered[i + 1]!;
    } else if (from > 0 && compareClients(client, ordered[from - 1]!) < 0) {
      to = this.lowerBound(client, 0, from);
      for (let i = from; i > to; i--) ordered[i] = ordered[i - 1]!;
    } else {
      return;
    }
    ordered[to] = client;
    this.snapshot = undefined;
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
    this.ordered = active.sort(compareClients);
    this.sortedAtVersion = this.basis.version;
    this.snapshot = undefined;
  }

  private shareOf(client: Client<T>): number {
    return this.basis.dominantShare(client.allocation) / client.weight;
  }

  /** Inserts with a fresh share; while the order is stale the next read sorts everything anyway. */
  private insert(client: Client<T>): void {
    client.share = this.shareOf(client);
    if (!this.isSorted()) return;
    this.ordered.splice(this.lowerBound(client, 0, this.ordered.length), 0, client);
    this.snapshot = undefined;
  }

  private detach(client: Client<T>): void {
    const index = this.positionOf(client);
    if (index < 0) return;
    this.ordered.splice(index, 1);
    this.snapshot = undefined;
  }

  /** The first index in [low, high) whose client is not ordered before `client`. */
  private lowerBound(client: Client<T>, low: number, high: number): number {
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareClients(this.ordered[middle]!, client) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
