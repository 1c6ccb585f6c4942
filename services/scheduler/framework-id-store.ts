/**
 * Where a framework keeps the id the master gave it. A scheduler that finds an id at start-up
 * re-subscribes with it and *fails over* (keeping its tasks, within `failover_timeout`) instead of
 * registering a new framework whose tasks start from nothing.
 *
 * Implementations: `FileFrameworkIdStore` (one host), `registryFrameworkIdStore` over any
 * `RegistryStore` (ZooKeeper through `openZkFrameworkIdStore`, so a scheduler instance on another
 * host can take over), and `InMemoryFrameworkIdStore` (tests, throw-away frameworks).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import {
  openZkRegistryStore,
  RegistryConflictError,
  type RegistryStore,
  type ZkCoordinationOptions,
} from '../coordination/index.js';
import { parseWith } from '../core/validation.js';

export interface FrameworkIdStore {
  /** The stored id, or `undefined` when the framework has not registered yet (or was cleared). */
  load(): Promise<string | undefined>;
  /** Stores `frameworkId`, replacing any previous one. Resolves once it is durable. */
  save(frameworkId: string): Promise<void>;
  /** Forgets the id (after the master removed the framework): the next start registers afresh. */
  clear(): Promise<void>;
}

export class InMemoryFrameworkIdStore implements FrameworkIdStore {
  constructor(private frameworkId: string | undefined = undefined) {}

  load(): Promise<string | undefined> {
    return Promise.resolve(this.frameworkId);
  }

  save(frameworkId: string): Promise<void> {
    this.frameworkId = frameworkId;
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.frameworkId = undefined;
    return Promise.resolve();
  }
}

/** The id as one line of text in `path`; written to a temporary file and renamed, so never torn. */
export class FileFrameworkIdStore implements FrameworkIdStore {
  constructor(private readonly path: string) {}

  async load(): Promise<string | undefined> {
    try {
      const text = (await readFile(this.path, 'utf8')).trim();
      return text === '' ? undefined : text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async save(frameworkId: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    await writeFile(temporary, `${frameworkId}\n`, 'utf8');
    await rename(temporary, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

const FrameworkIdRecordSchema = z.object({ frameworkId: z.string().min(1).optional() });
type FrameworkIdRecord = z.infer<typeof FrameworkIdRecordSchema>;

const decodeRecord = (json: unknown): FrameworkIdRecord =>
  parseWith(FrameworkIdRecordSchema, json, 'stored framework id');

/** Writes one CAS attempt, retried once when another writer moved the version in between. */
async function writeRecord(
  store: RegistryStore<FrameworkIdRecord>,
  record: FrameworkIdRecord,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { version } = await store.read();
    try {
      await store.compareAndSet(record, version);
      return;
    } catch (err) {
      if (!(err instanceof RegistryConflictError) || attempt > 0) throw err;
    }
  }
}

/** A `FrameworkIdStore` kept in a versioned registry document `{ "frameworkId": "..." }`. */
export function registryFrameworkIdStore(store: RegistryStore<FrameworkIdRecord>): FrameworkIdStore {
  return {
    load: async () => (await store.read()).value?.frameworkId,
    save: (frameworkId) => writeRecord(store, { frameworkId }),
    clear: () => writeRecord(store, {}),
  };
}

/**
 * A `FrameworkIdStore` in ZooKeeper under the URL's path (`<path>/registry`); give every
 * framework its own path. Close the returned store when done: it holds a ZooKeeper session.
 */
export async function openZkFrameworkIdStore(
  options: ZkCoordinationOptions,
): Promise<FrameworkIdStore & AsyncDisposable> {
  const store = await openZkRegistryStore(options, decodeRecord);
  return Object.assign(registryFrameworkIdStore(store), {
    [Symbol.asyncDispose]: async () => await store[Symbol.asyncDispose](),
  });
}
