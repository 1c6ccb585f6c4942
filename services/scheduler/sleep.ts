import type { Clock } from '../core/clock.js';

/**
 * Waits `delayMs` on `clock`. Resolves early (never rejects) when `signal` aborts; the timer is
 * cancelled then, and the abort listener is removed when the timer fires, so nothing is left behind.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      cancel();
      resolve();
    };
    const cancel = clock.after(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
