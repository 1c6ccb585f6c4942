import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRecord, RecordIoDecoder } from './recordio.js';

describe('recordio', () => {
  it('frames by UTF-8 byte length, as Mesos documents', () => {
    const payload = '{"type":"HEARTBEAT"}';
    assert.equal(encodeRecord(payload).toString(), `20\n${payload}`);
    // "é" is two bytes in UTF-8 but one UTF-16 code unit.
    assert.equal(encodeRecord('"é"').toString(), '4\n"é"');
  });

  it('decodes records split at every possible byte boundary', () => {
    const records = ['{"a":1}', '{"type":"SUBSCRIBED","x":"ü"}', '{}'];
    const wire = Buffer.concat(records.map(encodeRecord));
    for (let cut = 1; cut < wire.length; cut++) {
      const decoder = new RecordIoDecoder();
      const got = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
      assert.deepEqual(got, records, `split at ${cut}`);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('decodes byte by byte', () => {
    const wire = Buffer.concat(['{"b":2}', '{"c":3}'].map(encodeRecord));
    const decoder = new RecordIoDecoder();
    const got: string[] = [];
    for (const byte of wire) got.push(...decoder.push(Uint8Array.of(byte)));
    assert.deepEqual(got, ['{"b":2}', '{"c":3}']);
  });

  it('rejects a malformed length header', () => {
    assert.throws(() => new RecordIoDecoder().push(Buffer.from('abc\n{}')), /malformed record length/);
    assert.throws(() => new RecordIoDecoder().push(Buffer.from('9'.repeat(25))), /too long/);
  });
});
