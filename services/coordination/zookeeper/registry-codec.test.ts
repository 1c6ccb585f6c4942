import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CHUNK_BYTES,
  decodeRegistry,
  encodeRegistry,
  INLINE_MAX_BYTES,
  manifestBytes,
  parseManifest,
} from './registry-codec.js';

const GEN = 'gen-0f0e0d0c-0b0a-4908-8706-050403020100';

describe('registry codec', () => {
  it('keeps a small registry inline in the manifest', async () => {
    const json = JSON.stringify({ agents: ['a1', 'a2'] });
    const { manifest, chunks } = await encodeRegistry(json, GEN);
    assert.equal(manifest.layout, 'inline');
    assert.equal(chunks.length, 0);
    assert.deepEqual(parseManifest(manifestBytes(manifest)), manifest);
    assert.deepEqual(await decodeRegistry(manifest, []), { agents: ['a1', 'a2'] });
  });

  it('splits an incompressible 3 MB registry into chunks no larger than CHUNK_BYTES', async () => {
    const json = JSON.stringify({ blob: randomBytes(2_250_000).toString('base64') }); // ≈3 MB of text
    const { manifest, chunks } = await encodeRegistry(json, GEN);
    assert.equal(manifest.layout, 'chunked');
    // gzip of base64 text ≈ 3/4 of its size ≈ 2.3 MB → ceil(2.3 MB / 512 KiB) = 5 chunks
    assert.equal(chunks.length, Math.ceil(manifest.bytes / CHUNK_BYTES));
    assert.ok(chunks.every((c) => c.length <= CHUNK_BYTES));
    assert.ok(manifest.bytes > INLINE_MAX_BYTES);
    assert.ok(manifestBytes(manifest).length < 1024);
    assert.deepEqual(await decodeRegistry(manifest, chunks), JSON.parse(json));
  });

  it('refuses chunks that do not match the manifest', async () => {
    const json = JSON.stringify({ blob: randomBytes(600_000).toString('base64') });
    const { manifest, chunks } = await encodeRegistry(json, GEN);
    const [first, ...rest] = chunks;
    assert.ok(first !== undefined);
    const tampered = Buffer.from(first);
    tampered[100] = (tampered[100] ?? 0) ^ 0xff;
    await assert.rejects(decodeRegistry(manifest, [tampered, ...rest]), /registry payload is corrupt/);
    await assert.rejects(decodeRegistry(manifest, rest), /registry payload is corrupt/);
  });

  it('reads an empty root as "never written" and rejects foreign data', () => {
    assert.equal(parseManifest(Buffer.alloc(0)), undefined);
    assert.throws(() => parseManifest(Buffer.from('{"format":"other"}')), /registry manifest/);
    assert.throws(() => parseManifest(Buffer.from('not json')), /registry manifest/);
  });
});
