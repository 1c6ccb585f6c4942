/**
 * A long-lived RecordIO event stream over an HTTP response (scheduler SUBSCRIBE, the agent's
 * REGISTER stream, operator SUBSCRIBE). Each event is written as its own chunk. A consumer that
 * stops reading is cut off once too much is buffered, so one slow client cannot grow the master's
 * memory without bound.
 */
import type { ServerResponse } from 'node:http';
import { encodeRecord } from './recordio.js';

export interface EventSink<E> {
  send(event: E): void;
  close(): void;
  readonly closed: boolean;
  /** Runs `fn` once when the stream ends, whoever ended it. */
  onClose(fn: () => void): void;
}

/** Bytes a stream may have queued before it is considered stuck and closed. */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export class HttpEventStream<E> implements EventSink<E> {
  private ended = false;
  private started = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    headers: Readonly<Record<string, string>> = {},
  ) {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.on('close', () => this.finish());
  }

  get closed(): boolean {
    return this.ended;
  }

  send(event: E): void {
    if (this.ended) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.close();
      return;
    }
    if (!this.started) {
      // Headers go out with the first event, so a call refused before it can still get a 4xx.
      this.started = true;
      this.res.socket?.setNoDelay(true);
    }
    this.res.write(encodeRecord(JSON.stringify(event)));
  }

  close(): void {
    if (this.ended) return;
    this.res.end();
    this.finish();
  }

  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.closeHandlers.push(fn);
  }

  private finish(): void {
    if (this.ended && this.closeHandlers.length === 0) return;
    this.ended = true;
    const handlers = this.closeHandlers.splice(0);
    for (const fn of handlers) fn();
  }
}
