import { MesoError } from '../core/errors.js';

/**
 * An unbounded single-consumer queue read as an async iterator. The producer never waits for the
 * consumer: the subscription stream must keep being read (heartbeats prove liveness) however slow
 * the framework is. Event rates on a scheduler stream are low, so buffering is bounded in practice.
 *
 * Items pushed before `end()` are all delivered; only then does the iterator finish, or throw the
 * error given to `end(error)`.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: { resolve(result: IteratorResult<T>): void; reject(err: unknown): void } | undefined;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) this.items.push(item);
    else waiter.resolve({ done: false, value: item });
  }

  /** No more items will come; a pending `next()` settles once the buffer is drained. Idempotent. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter === undefined) return;
    if (this.failure === undefined) waiter.resolve({ done: true, value: undefined });
    else waiter.reject(this.failure.error);
  }

  /** The consumer is gone: buffered items are dropped and later pushes ignored. */
  detach(): void {
    this.items.length = 0;
    this.failure = undefined;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift() as T });
    if (this.ended) {
      return this.failure === undefined
        ? Promise.resolve({ done: true, value: undefined })
        : Promise.reject(this.failure.error);
    }
    if (this.waiter !== undefined) {
      return Promise.reject(new MesoError('ILLEGAL_STATE', 'the event stream has a single consumer'));
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
