// @ts-check
/**
 * RecordIO, the framing of Mesos event streams: `<byte length>\n<JSON>` repeated. Chunk
 * boundaries are unrelated to record boundaries, so bytes are buffered until a record is whole.
 */

const NEWLINE = 0x0a;
/** A corrupt length must not make the page buffer without bound. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export class RecordIoDecoder {
  constructor() {
    /** @type {Uint8Array} */
    this.buffer = new Uint8Array(0);
    this.text = new TextDecoder();
  }

  /**
   * Feeds a chunk and returns the records it completes, parsed, in order.
   * @param {Uint8Array} chunk
   * @returns {unknown[]}
   */
  push(chunk) {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    /** @type {unknown[]} */
    const records = [];
    for (;;) {
      const newline = this.buffer.indexOf(NEWLINE);
      if (newline < 0) break;
      const header = this.text.decode(this.buffer.subarray(0, newline));
      if (!/^\d+$/.test(header))
        throw new Error(`recordio: malformed record length '${header.slice(0, 20)}'`);
      const length = Number(header);
      if (length > MAX_RECORD_BYTES) throw new Error(`recordio: record of ${length} bytes is too large`);
      const end = newline + 1 + length;
      if (this.buffer.length < end) break;
      records.push(JSON.parse(this.text.decode(this.buffer.subarray(newline + 1, end))));
      this.buffer = this.buffer.slice(end);
    }
    return records;
  }
}
