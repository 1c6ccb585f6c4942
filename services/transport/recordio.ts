/**
 * RecordIO framing used by every Mesos v1 event stream: `<byte length>\n<payload>`, repeated, with
 * no separator between a payload and the next length. Chunk boundaries are unrelated to record
 * boundaries (proxies re-chunk), so the decoder buffers.
 */

/** Frames one record. The length counts UTF-8 bytes, not UTF-16 code units. */
export function encodeRecord(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`, 'ascii'), body]);
}

/** Largest record we accept; a corrupt length must not make us buffer without bound. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export class RecordIoDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Feeds a chunk and returns every record it completes, in order. Throws on a malformed header. */
  push(chunk: Uint8Array): string[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const records: string[] = [];
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) {
        if (this.buffer.length > 20) throw new Error('recordio: record length header is too long');
        break;
      }
      const header = this.buffer.subarray(0, newline).toString('ascii');
      if (!/^\d+$/.test(header))
        throw new Error(`recordio: malformed record length '${header.slice(0, 20)}'`);
      const length = Number(header);
      if (length > MAX_RECORD_BYTES) throw new Error(`recordio: record of ${length} bytes exceeds the limit`);
      const end = newline + 1 + length;
      if (this.buffer.length < end) break;
      records.push(this.buffer.subarray(newline + 1, end).toString('utf8'));
      this.buffer = this.buffer.subarray(end);
    }
    return records;
  }

  /** Bytes received but not yet part of a whole record. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/**
 * Reads a RecordIO HTTP response body (a web `ReadableStream`, as `fetch` returns) and yields each
 * record's parsed JSON. Ends when the stream ends; rejects on malformed framing or JSON.
 */
export async function* readRecords(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new RecordIoDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const record of decoder.push(value)) yield JSON.parse(record) as unknown;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
