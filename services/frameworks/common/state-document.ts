/**
 * A framework scheduler's durable state: one JSON document in a `RegistryStore` (ZooKeeper in
 * production), replaced by compare-and-set on every change. Only the leading scheduler instance
 * writes; the version check fences a deposed leader (its next write conflicts).
 *
 * Changes are applied one at a time, each to the latest committed value, by pure functions that
 * return the next state and a result. The in-memory copy only moves once a write succeeded, so
 * what the scheduler acts on is always what a successor would read.
 */
import { RegistryConflictError, type RegistryStore } from '../../coordination/index.js';
import { MesoError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import type { FrameworkIdStore } from '../../scheduler/index.js';

/** The outcome of a change: the next state (the same object when nothing changed) and a result. */
export interface Transition<T, R> {
  readonly state: T;
  readonly result: R;
}

export interface StateDocumentOptions {
  readonly log: Logger;
  /** Called once when another writer moved the document: this instance no longer leads. */
  readonly onFenced: (error: RegistryConflictError) => void;
}

export class StateDocument<T> {
  private queue: Promise<unknown> = Promise.resolve();
  private fenced = false;

  private constructor(
    private readonly store: RegistryStore<T>,
    private current: T,
    private version: number,
    private readonly options: StateDocumentOptions,
  ) {}

  /** Reads the stored document, or starts from `empty` when nothing was written yet. */
  static async open<T>(
    store: RegistryStore<T>,
    empty: T,
    options: StateDocumentOptions,
  ): Promise<StateDocument<T>> {
    const { value, version } = await store.read();
    return new StateDocument(store, value ?? empty, version, options);
  }

  /** The latest committed state. Treat it as immutable. */
  get value(): T {
    return this.current;
  }

  /**
   * Applies `change` to the latest state and writes the result. Serialized with every other
   * `transact`. Rejects, leaving the state as it was, when the write fails; a conflict also
   * reports fencing through `onFenced`.
   */
  transact<R>(change: (current: T) => Transition<T, R>): Promise<R> {
    const next = this.queue.then(() => this.apply(change));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** `transact` for changes without a result. */
  async update(change: (current: T) => T): Promise<void> {
    await this.transact((current) => ({ state: change(current), result: undefined }));
  }

  private async apply<R>(change: (current: T) => Transition<T, R>): Promise<R> {
    if (this.fenced) throw new MesoError('NOT_LEADER', 'this scheduler instance no longer leads');
    const { state, result } = change(this.current);
    if (state === this.current) return result;
    try {
      this.version = await this.store.compareAndSet(state, this.version);
      this.current = state;
      return result;
    } catch (err) {
      if (err instanceof RegistryConflictError) {
        this.fenced = true;
        this.options.log.error('state was written by another scheduler instance; stepping down', {
          expectedVersion: err.expectedVersion,
        });
        this.options.onFenced(err);
        throw err;
      }
      await this.resync(state);
      if (this.current === state) return result;
      throw err;
    }
  }

  /**
   * After a write failed without a verdict (connection loss, timeout) it may or may not have
   * landed: read back and adopt the stored document if it is ours, else keep ours.
   */
  private async resync(attempted: T): Promise<void> {
    try {
      const { value, version } = await this.store.read();
      if (JSON.stringify(value) === JSON.stringify(attempted)) {
        this.current = attempted;
        this.version = version;
      }
    } catch (err) {
      this.options.log.warn('state could not be read back after a failed write', { err: String(err) });
    }
  }
}

/** The framework id kept inside the state document, beside what it identifies. */
export function documentFrameworkIdStore<T extends { readonly frameworkId?: string }>(
  doc: StateDocument<T>,
): FrameworkIdStore {
  const withId =
    (id: string | undefined) =>
    (current: T): T => {
      if (current.frameworkId === id) return current;
      const { frameworkId: _old, ...rest } = current;
      return (id === undefined ? rest : { ...rest, frameworkId: id }) as T;
    };
  return {
    load: () => Promise.resolve(doc.value.frameworkId),
    save: (frameworkId) => doc.update(withId(frameworkId)),
    clear: () => doc.update(withId(undefined)),
  };
}
