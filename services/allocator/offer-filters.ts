/**
 * Offer filters of one agent. When a framework gives resources back with `refuseUntilMs` (a DECLINE
 * with `refuse_seconds`), resources that fit inside the refused ones are not offered again to that
 * framework, in that role, on that agent, until that time.
 *
 * Layout: in the worst case every (framework, role) filters every agent; Mesos's DeclineOffers
 * benchmark ends with 20,000 agents × 2,000 frameworks = 40 M filters, where an object and a map
 * entry per filter would take gigabytes. So each agent keeps a dense table of small integers indexed
 * by subscription slot (one per (framework, role), handed out by the allocator) that point into a
 * list of shared records `{refused, untilMs}`. A refusal identical to the newest record (same
 * resources, same expiry, as when many frameworks decline the same agent in one batch) reuses it,
 * so that case costs 2 bytes per filter.
 *
 * One (framework, role, agent) holds at most one filter: a new refusal replaces the previous one,
 * unless the previous one already refuses at least as much for at least as long.
 */
import type { Resources } from '../core/resources.js';

interface FilterRecord {
  readonly refused: Resources;
  readonly untilMs: number;
  /** Table cells pointing at this record; at zero the record's index is recycled. */
  references: number;
  /**
   * The last candidates found inside / not inside `refused`. Resources are immutable and an agent
   * keeps the same object while its free resources do not change, so within and across cycles
   * most checks are an identity comparison instead of a containment walk.
   */
  coveredCandidate: Resources | undefined;
  uncoveredCandidate: Resources | undefined;
}

/** Table value meaning "no filter"; record indices start at 1. */
const NO_RECORD = 0;
const UINT16_MAX = 0xffff;
const INITIAL_SLOTS = 16;

export class AgentOfferFilters {
  private cells: Uint16Array | Uint32Array = new Uint16Array(0);
  private readonly records: (FilterRecord | undefined)[] = [undefined];
  private readonly recycledIndices: number[] = [];
  private newestIndex = NO_RECORD;
  private filterCount = 0;

  /** Number of (framework, role) slots that hold a filter, expired ones included until pruned. */
  get size(): number {
    return this.filterCount;
  }

  /** Installs or replaces the filter of `slot`, keeping an existing one that refuses more for longer. */
  install(slot: number, refused: Resources, untilMs: number): void {
    const current = this.records[this.cellAt(slot)];
    if (current !== undefined && current.untilMs >= untilMs && current.refused.contains(refused)) return;
    this.setCell(slot, this.recordIndexFor(refused, untilMs));
  }

  clear(slot: number): void {
    this.setCell(slot, NO_RECORD);
  }

  /**
   * The time until which `slot`'s filter refuses `candidate`, or `undefined` when nothing refuses it
   * at `nowMs`. A filter found expired is dropped on the way, so expired filters cost memory only
   * until the agent is next considered for that slot.
   */
  refusedUntilMs(slot: number, candidate: Resources, nowMs: number): number | undefined {
    const index = this.cellAt(slot);
    if (index === NO_RECORD) return undefined;
    const record = this.records[index]!;
    if (record.untilMs <= nowMs) {
      this.setCell(slot, NO_RECORD);
      return undefined;
    }
    if (record.coveredCandidate === candidate) return record.untilMs;
    if (record.uncoveredCandidate === candidate) return undefined;
    if (candidate === record.refused || record.refused.contains(candidate)) {
      record.coveredCandidate = candidate;
      return record.untilMs;
    }
    record.uncoveredCandidate = candidate;
    return undefined;
  }

  private cellAt(slot: number): number {
    return slot < this.cells.length ? this.cells[slot]! : NO_RECORD;
  }

  private setCell(slot: number, index: number): void {
    const previous = this.cellAt(slot);
    if (previous === index) return;
    if (index !== NO_RECORD) {
      this.ensureSlot(slot);
      this.records[index]!.references++;
      this.filterCount++;
    }
    if (slot < this.cells.length) this.cells[slot] = index;
    if (previous !== NO_RECORD) {
      this.release(previous);
      this.filterCount--;
    }
  }

  private recordIndexFor(refused: Resources, untilMs: number): number {
    const newest = this.records[this.newestIndex];
    if (
      newest !== undefined &&
      newest.untilMs === untilMs &&
      (newest.refused === refused || newest.refused.equals(refused))
    ) {
      return this.newestIndex;
    }
    const index = this.recycledIndices.pop() ?? this.records.length;
    if (index > UINT16_MAX && this.cells instanceof Uint16Array) this.cells = Uint32Array.from(this.cells);
    this.records[index] = {
      refused,
      untilMs,
      references: 0,
      coveredCandidate: undefined,
      uncoveredCandidate: undefined,
    };
    this.newestIndex = index;
    return index;
  }

  private release(index: number): void {
    const record = this.records[index]!;
    record.references--;
    if (record.references > 0) return;
    this.records[index] = undefined;
    this.recycledIndices.push(index);
  }

  /** Grows the table by doubling, so a framework joining costs amortised O(1) per agent. */
  private ensureSlot(slot: number): void {
    if (slot < this.cells.length) return;
    const length = Math.max(slot + 1, this.cells.length * 2, INITIAL_SLOTS);
    const grown = this.cells instanceof Uint16Array ? new Uint16Array(length) : new Uint32Array(length);
    grown.set(this.cells);
    this.cells = grown;
  }
}
