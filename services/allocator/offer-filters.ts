/**
 * Offer filters of one agent. When a framework gives resources back with `refuseUntilMs` (a DECLINE
 * with `refuse_seconds`), resources that fit inside the refused ones are not offered again to that
 * framework, in that role, on that agent, until that time.
 *
 * Layout: in the worst case every (framework, role) filters every agent; Mesos's DeclineOffers
 * benchmark ends with 20,000 agents × 2,000 frameworks = 40 M filters, where an object per filter
 * would take gigabytes and keep the garbage collector busy. So each agent keeps two dense arrays
 * indexed by subscription slot (a small integer per (framework, role), handed out by the
 * allocator): the expiry time, and an index into a list of refused resource sets. A refusal of the
 * same resources as the newest set (the usual case: frameworks decline an agent's unchanged free
 * pool one after another) shares that set, so a filter costs 10 bytes.
 *
 * One (framework, role, agent) holds at most one filter: a new refusal replaces the previous one,
 * unless the previous one already refuses at least as much for at least as long.
 */
import type { Resources } from '../core/resources.js';

interface RefusedSet {
  readonly refused: Resources;
  /** Slots pointing at this set; at zero its index is recycled. */
  references: number;
  /**
   * The last candidates found inside / not inside `refused`. Resources are immutable and an agent
   * keeps the same object while its free resources do not change, so within and across cycles
   * most checks are an identity comparison instead of a containment walk.
   */
  coveredCandidate: Resources | undefined;
  uncoveredCandidate: Resources | undefined;
}

/** Index meaning "no filter"; set indices start at 1. */
const NO_SET = 0;
const UINT16_MAX = 0xffff;
const INITIAL_SLOTS = 16;
const NO_INDICES = new Uint16Array(0);
const NO_EXPIRIES = new Float64Array(0);

export class AgentOfferFilters {
  // Agents without filters share these empty arrays; the first filter allocates the agent's own.
  private setIndices: Uint16Array | Uint32Array = NO_INDICES;
  private expiresAtMs = NO_EXPIRIES;
  private readonly sets: (RefusedSet | undefined)[] = [undefined];
  private readonly recycledIndices: number[] = [];
  private newestIndex = NO_SET;
  private filterCount = 0;
  /** No filter expires before this; clearing a filter leaves it as a (lower) bound. */
  private earliestExpiryMs = Infinity;

  /** Number of (framework, role) slots that hold a filter, expired ones included until pruned. */
  get size(): number {
    return this.filterCount;
  }

  /** Installs or replaces the filter of `slot`, keeping an existing one that refuses more for longer. */
  install(slot: number, refused: Resources, untilMs: number): void {
    const current = this.sets[this.setIndexAt(slot)];
    if (current !== undefined && this.expiresAtMs[slot]! >= untilMs && current.refused.contains(refused))
      return;
    this.setSlot(slot, this.setIndexFor(refused), untilMs);
  }

  clear(slot: number): void {
    this.setSlot(slot, NO_SET, 0);
  }

  /** The slots holding a filter still in force at `nowMs` (read-only: nothing is pruned). */
  *slotsInForce(nowMs: number): Generator<number> {
    for (let slot = 0; slot < this.setIndices.length; slot++) {
      if (this.setIndices[slot] !== NO_SET && this.expiresAtMs[slot]! > nowMs) yield slot;
    }
  }

  /**
   * When the refusals the last `firstUnrefused` call passed over may start to end: the earliest
   * expiry of any filter on the agent, a lower bound that is cheap to keep (`Infinity` if none).
   */
  refusalsEndMs = Infinity;

  /**
   * The first position `i < count` whose slot `slots[i]` does not refuse `candidate` at `nowMs`, or
   * -1. This is the hot loop of a cycle in which most frameworks filter most agents. While no filter
   * on the agent has expired it reads only the 2-byte set index per slot (the expiries are four
   * times larger and would mostly miss the cache) and checks each refused set once per call.
   */
  firstUnrefused(slots: Int32Array, count: number, candidate: Resources, nowMs: number): number {
    if (nowMs >= this.earliestExpiryMs) this.dropExpired(nowMs);
    const indices = this.setIndices;
    let coveringIndex = -1;
    let position = 0;
    for (; position < count; position++) {
      const slot = slots[position]!;
      const index = slot < indices.length ? indices[slot]! : NO_SET;
      if (index === coveringIndex) continue;
      if (index === NO_SET || !this.covers(index, candidate)) break;
      coveringIndex = index;
    }
    this.refusalsEndMs = this.earliestExpiryMs;
    return position < count ? position : -1;
  }

  /** Clears every expired filter and makes `earliestExpiryMs` exact again: O(slots), once per expiry. */
  private dropExpired(nowMs: number): void {
    let earliestMs = Infinity;
    for (let slot = 0; slot < this.setIndices.length; slot++) {
      if (this.setIndices[slot] === NO_SET) continue;
      const untilMs = this.expiresAtMs[slot]!;
      if (untilMs <= nowMs) this.clear(slot);
      else if (untilMs < earliestMs) earliestMs = untilMs;
    }
    this.earliestExpiryMs = earliestMs;
  }

  /**
   * The time until which `slot`'s filter refuses `candidate`, or `undefined` when nothing refuses it
   * at `nowMs`. A filter found expired is dropped on the way, so expired filters cost memory only
   * until the agent is next considered for that slot.
   */
  refusedUntilMs(slot: number, candidate: Resources, nowMs: number): number | undefined {
    const index = this.setIndexAt(slot);
    if (index === NO_SET) return undefined;
    const untilMs = this.expiresAtMs[slot]!;
    if (untilMs <= nowMs) {
      this.clear(slot);
      return undefined;
    }
    return this.covers(index, candidate) ? untilMs : undefined;
  }

  /** Whether refused set `index` contains `candidate`, remembering the answer for that object. */
  private covers(index: number, candidate: Resources): boolean {
    const set = this.sets[index]!;
    if (set.coveredCandidate === candidate) return true;
    if (set.uncoveredCandidate === candidate) return false;
    if (candidate === set.refused || set.refused.contains(candidate)) {
      set.coveredCandidate = candidate;
      return true;
    }
    set.uncoveredCandidate = candidate;
    return false;
  }

  private setIndexAt(slot: number): number {
    return slot < this.setIndices.length ? this.setIndices[slot]! : NO_SET;
  }

  private setSlot(slot: number, index: number, untilMs: number): void {
    const previous = this.setIndexAt(slot);
    if (index !== NO_SET) {
      this.ensureSlot(slot);
      this.sets[index]!.references++;
      this.expiresAtMs[slot] = untilMs;
      if (untilMs < this.earliestExpiryMs) this.earliestExpiryMs = untilMs;
    }
    if (previous === NO_SET && index !== NO_SET) this.filterCount++;
    if (previous !== NO_SET && index === NO_SET) this.filterCount--;
    if (slot < this.setIndices.length) this.setIndices[slot] = index;
    if (previous !== NO_SET) this.release(previous);
  }

  private setIndexFor(refused: Resources): number {
    const newest = this.sets[this.newestIndex];
    if (newest !== undefined && (newest.refused === refused || newest.refused.equals(refused))) {
      return this.newestIndex;
    }
    const index = this.recycledIndices.pop() ?? this.sets.length;
    if (index > UINT16_MAX && this.setIndices instanceof Uint16Array) {
      this.setIndices = Uint32Array.from(this.setIndices);
    }
    this.sets[index] = { refused, references: 0, coveredCandidate: undefined, uncoveredCandidate: undefined };
    this.newestIndex = index;
    return index;
  }

  private release(index: number): void {
    const set = this.sets[index]!;
    set.references--;
    if (set.references > 0) return;
    this.sets[index] = undefined;
    this.recycledIndices.push(index);
  }

  private ensureSlot(slot: number): void {
    if (slot < this.setIndices.length) return;
    // Powers of two: amortised O(1) growth, at most twice the slots in use whatever order they come in.
    const length = Math.max(INITIAL_SLOTS, 2 ** Math.ceil(Math.log2(slot + 1)));
    const indices =
      this.setIndices instanceof Uint16Array ? new Uint16Array(length) : new Uint32Array(length);
    indices.set(this.setIndices);
    this.setIndices = indices;
    const expiries = new Float64Array(length);
    expiries.set(this.expiresAtMs);
    this.expiresAtMs = expiries;
  }
}
