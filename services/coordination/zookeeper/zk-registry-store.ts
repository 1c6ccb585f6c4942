/**
 * The registry in ZooKeeper, under `<path>/registry` (beside the election nodes; it has no
 * `_<seq>` suffix, so neither we nor Mesos count it as a member, and it does not collide with
 * Mesos's `log_replicas`). Node layout and atomicity are described in `registry-codec.ts`:
 *
 *   <path>/registry                 manifest JSON; its data version is the store's version
 *   <path>/registry/gen-<uuid>/0000 gzip payload chunks, only for large registries
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import { CoordinationError, isCoordinationFailure } from '../errors.js';
import {
  type RegistryDecoder,
  RegistryConflictError,
  type RegistryStore,
  registryJson,
  type VersionedValue,
} from '../registry-store.js';
import {
  chunkName,
  decodeRegistry,
  type EncodedRegistry,
  encodeRegistry,
  isGeneration,
  type Manifest,
  manifestBytes,
  parseManifest,
} from './registry-codec.js';
import type { ZkConnector, ZkSession } from './zk-session.js';

export const REGISTRY_NODE = 'registry';
/** A read restarts when a writer removes the generation it was reading; this bounds the restarts. */
const MAX_READ_ATTEMPTS = 5;

export interface ZkRegistryStoreOptions<T> {
  readonly connect: ZkConnector;
  /** The group path from the `zk://` URL, e.g. `/mesos`. */
  readonly path: string;
  readonly decode: RegistryDecoder<T>;
  readonly log: Logger;
}

export class ZkRegistryStore<T> implements RegistryStore<T>, AsyncDisposable {
  private readonly root: string;
  private current: Promise<ZkSession> | undefined;
  private closed = false;
  private readonly log: Logger;

  private constructor(private readonly options: ZkRegistryStoreOptions<T>) {
    this.root = `${options.path}/${REGISTRY_NODE}`;
    this.log = options.log.child({ component: 'coordination.zk-registry', node: this.root });
  }

  /** Connects and creates the root node if missing. Rejects when ZooKeeper is unreachable. */
  static async open<T>(options: ZkRegistryStoreOptions<T>): Promise<ZkRegistryStore<T>> {
    const store = new ZkRegistryStore(options);
    await (await store.session()).mkdirp(store.root);
    return store;
  }

  async read(): Promise<VersionedValue<T>> {
    const session = await this.session();
    for (let attempt = 1; ; attempt++) {
      const { data, stat } = await session.getData(this.root);
      const manifest = parseManifest(data);
      if (manifest === undefined) return { value: undefined, version: stat.version };
      try {
        const json = await decodeRegistry(manifest, await this.readChunks(session, manifest));
        return { value: this.options.decode(json), version: stat.version };
      } catch (error) {
        // A writer replaced the manifest and removed this generation while we were reading it.
        if (!isCoordinationFailure(error, 'no-node') || attempt === MAX_READ_ATTEMPTS) throw error;
        this.log.debug('registry generation replaced while being read; reading again', { attempt });
      }
    }
  }

  /**
   * See `RegistryStore.compareAndSet`. Failing with `connection-loss` or `timeout` leaves it unknown
   * whether the write took effect: read again before deciding.
   */
  async compareAndSet(value: T, expectedVersion: number): Promise<number> {
    const encoded = await encodeRegistry(registryJson(value), `gen-${randomUUID()}`);
    const session = await this.session();
    const { manifest } = encoded;
    const generation = manifest.layout === 'chunked' ? manifest.generation : undefined;
    try {
      if (generation !== undefined) await this.writeChunks(session, generation, encoded);
      const stat = await session.setData(this.root, manifestBytes(manifest), expectedVersion);
      this.log.debug('registry written', {
        version: stat.version,
        bytes: manifest.bytes,
        layout: manifest.layout,
      });
      await this.removeGenerations(session, generation);
      return stat.version;
    } catch (error) {
      if (generation !== undefined) await this.removeGeneration(session, generation);
      // `no-node` here means another writer cleaned up our half-written generation: it won.
      if (isCoordinationFailure(error, 'bad-version', 'no-node')) {
        throw new RegistryConflictError(expectedVersion, await this.versionIfKnown(session));
      }
      throw error;
    }
  }

  /** Closes the session. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    await current?.then(
      (session) => session.close(),
      () => undefined,
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The open session, or a new one when the last one expired. */
  private session(): Promise<ZkSession> {
    if (this.closed) return Promise.reject(new CoordinationError('closed', 'the registry store was closed'));
    const reusable = this.current;
    const next =
      reusable?.then((session) => (session.state() === 'expired' ? this.options.connect() : session)) ??
      this.options.connect();
    this.current = next.catch((error: unknown) => {
      this.current = undefined;
      throw error;
    });
    return this.current;
  }

  private readChunks(session: ZkSession, manifest: Manifest): Promise<Buffer[]> {
    if (manifest.layout === 'inline') return Promise.resolve([]);
    const base = `${this.root}/${manifest.generation}`;
    return Promise.all(
      Array.from({ length: manifest.chunks }, (_, i) =>
        session.getData(`${base}/${chunkName(i)}`).then((r) => r.data),
      ),
    );
  }

  private async writeChunks(session: ZkSession, generation: string, encoded: EncodedRegistry): Promise<void> {
    const base = `${this.root}/${generation}`;
    await session.create(base, Buffer.alloc(0), 'persistent');
    await Promise.all(
      encoded.chunks.map((chunk, i) => session.create(`${base}/${chunkName(i)}`, chunk, 'persistent')),
    );
  }

  /** Removes every generation except `keep`: older ones and those of writers that lost. */
  private async removeGenerations(session: ZkSession, keep: string | undefined): Promise<void> {
    try {
      const stale = (await session.getChildren(this.root)).filter(
        (name) => isGeneration(name) && name !== keep,
      );
      for (const generation of stale) await this.removeGeneration(session, generation);
    } catch (error) {
      this.log.warn('listing old registry generations failed', { err: String(error) });
    }
  }

  /** Best effort: a leftover generation only wastes space until the next successful write. */
  private async removeGeneration(session: ZkSession, generation: string): Promise<void> {
    const base = `${this.root}/${generation}`;
    try {
      const chunks = await session.getChildren(base);
      await Promise.all(chunks.map((chunk) => session.delete(`${base}/${chunk}`)));
      await session.delete(base);
    } catch (error) {
      if (!isCoordinationFailure(error, 'no-node')) {
        this.log.warn('removing a registry generation failed', { generation, err: String(error) });
      }
    }
  }

  private async versionIfKnown(session: ZkSession): Promise<number | undefined> {
    return session.exists(this.root).then(
      (stat) => stat?.version,
      () => undefined,
    );
  }
}
