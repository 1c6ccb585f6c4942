/**
 * How the registry is laid out in ZooKeeper nodes, which hold at most ~1 MiB each (the server's
 * default `jute.maxbuffer` bounds every request).
 *
 * The JSON is gzipped. The root node always holds a small JSON *manifest*; the payload sits either
 * inline in it (base64) or, when larger, in chunk nodes under a fresh *generation* node that no
 * other write ever touches. A write creates the chunks first and then swaps the manifest with one
 * compare-and-set, so a reader sees either the old generation or the new one, never a mix. The
 * manifest's length and SHA-256 let the reader prove it.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import { invalidCall } from '../../core/errors.js';
import { parseJsonText, parseWith } from '../../core/validation.js';
import { CoordinationError } from '../errors.js';

export const REGISTRY_FORMAT = 'meso.registry/1';
/** Bytes per chunk node: half of ZooKeeper's default 1 MiB request limit. */
export const CHUNK_BYTES = 512 * 1024;
/** Payloads up to this size go inline; base64 makes them a third larger (512 KiB). */
export const INLINE_MAX_BYTES = 384 * 1024;
/** 64 MiB compressed. A registry beyond that does not belong in ZooKeeper. */
export const MAX_CHUNKS = 128;

const GENERATION = /^gen-[0-9a-f-]{36}$/;

const ManifestSchema = z.discriminatedUnion('layout', [
  z.object({
    format: z.literal(REGISTRY_FORMAT),
    layout: z.literal('inline'),
    bytes: z.number().int().nonnegative(),
    sha256: z.string(),
    data: z.string(),
  }),
  z.object({
    format: z.literal(REGISTRY_FORMAT),
    layout: z.literal('chunked'),
    bytes: z.number().int().nonnegative(),
    sha256: z.string(),
    generation: z.string().regex(GENERATION),
    chunks: z.number().int().positive().max(MAX_CHUNKS),
  }),
]);
export type Manifest = z.infer<typeof ManifestSchema>;

export interface EncodedRegistry {
  readonly manifest: Manifest;
  /** Chunk node contents in order; empty for the inline layout. */
  readonly chunks: readonly Buffer[];
}

/** `generation` names the chunk set (`gen-<uuid>`); it is used only when the payload is chunked. */
export async function encodeRegistry(json: string, generation: string): Promise<EncodedRegistry> {
  const payload = await promisify(gzip)(Buffer.from(json, 'utf8'));
  const common = { format: REGISTRY_FORMAT, bytes: payload.length, sha256: sha256(payload) } as const;
  if (payload.length <= INLINE_MAX_BYTES) {
    return { manifest: { ...common, layout: 'inline', data: payload.toString('base64') }, chunks: [] };
  }
  const count = Math.ceil(payload.length / CHUNK_BYTES);
  if (count > MAX_CHUNKS) {
    throw invalidCall(
      `the registry is ${payload.length} bytes compressed; the limit is ${MAX_CHUNKS * CHUNK_BYTES}`,
    );
  }
  const chunks = Array.from({ length: count }, (_, i) =>
    payload.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
  );
  return { manifest: { ...common, layout: 'chunked', generation, chunks: count }, chunks };
}

export const manifestBytes = (manifest: Manifest): Buffer => Buffer.from(JSON.stringify(manifest), 'utf8');

/** The manifest in the root node's data; `undefined` for the empty root of a never-written registry. */
export function parseManifest(data: Buffer): Manifest | undefined {
  if (data.length === 0) return undefined;
  return parseWith(
    ManifestSchema,
    parseJsonText(data.toString('utf8'), 'registry manifest'),
    'registry manifest',
  );
}

/** Reassembles and checks the payload, then parses the JSON. */
export async function decodeRegistry(manifest: Manifest, chunks: readonly Buffer[]): Promise<unknown> {
  const payload = manifest.layout === 'inline' ? Buffer.from(manifest.data, 'base64') : Buffer.concat(chunks);
  const digest = sha256(payload);
  if (payload.length !== manifest.bytes || digest !== manifest.sha256) {
    throw new CoordinationError(
      'other',
      `the registry payload is corrupt: ${payload.length} bytes with sha256 ${digest}, ` +
        `the manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}`,
    );
  }
  const json = await promisify(gunzip)(payload);
  return parseJsonText(json.toString('utf8'), 'registry');
}

/** Chunk node names under a generation node, in order: `0000`, `0001`, ... */
export const chunkName = (index: number): string => String(index).padStart(4, '0');

export const isGeneration = (name: string): boolean => GENERATION.test(name);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
