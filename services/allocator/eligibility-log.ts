/**
 * The recent history of who became able to take resources they could not take before: a
 * framework activated, revived, unsuppressed or given a new role. An agent that a cycle found idle
 * (every eligible framework refusing it) at log position `p` stays refused by everyone except the
 * entries appended since `p`, as long as its own free resources and its filters' expiry hold. So
 * after one framework revives, the next cycle checks that framework on each idle agent instead of
 * every framework on every agent.
 */
export class EligibilityLog<T> {
  private entries: T[] = [];
  /** Absolute position of `entries[0]`; positions only grow. */
  private start = 0;

  /** @param capacity Entries kept; an agent idle since before the oldest kept entry is looked at in full. */
  constructor(private readonly capacity = 1024) {}

  /** The position the next entry will get; an agent marked idle now records this. */
  get position(): number {
    return this.start + this.entries.length;
  }

  append(entry: T): void {
    this.entries.push(entry);
    // Trim in halves so that appending stays amortised O(1).
    if (this.entries.length >= 2 * this.capacity) {
      const dropped = this.entries.length - this.capacity;
      this.entries = this.entries.slice(dropped);
      this.start += dropped;
    }
  }

  /** Entries appended at or after `position`, oldest first; `undefined` if some were already dropped. */
  since(position: number): readonly T[] | undefined {
    if (position < this.start) return undefined;
    return position === this.position ? NOTHING : this.entries.slice(position - this.start);
  }
}

const NOTHING: readonly never[] = Object.freeze([]);
