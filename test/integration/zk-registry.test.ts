/**
 * The registry store against a real ZooKeeper: versioned compare-and-set between two masters,
 * registries larger than a ZooKeeper node, and readers racing writers.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  openZkRegistryStore,
  RegistryConflictError,
  type RegistryStore,
  startZkMasterDetector,
  zkMasterContender,
  type ZkCoordinationOptions,
} from '../../services/coordination/index.js';
import { openZkSession, zkConnector } from '../../services/coordination/zookeeper/zk-client.js';
import { ZkRegistryStore } from '../../services/coordination/zookeeper/zk-registry-store.js';
import type { ZkSession } from '../../services/coordination/zookeeper/zk-session.js';
import {
  masterInfoFixture,
  recordingObserver,
  startZooKeeper,
  waitUntil,
  type ZooKeeperServer,
  zkTestOptions,
  zooKeeperSkipReason,
} from '../helpers/zookeeper.js';

interface Registry {
  readonly writer: string;
  readonly blob: string;
  /** SHA-256 of `blob`, so a reader can tell a consistent value from a spliced one. */
  readonly digest: string;
}

function registry(writer: string, blobBytes: number): Registry {
  const blob = randomBytes(blobBytes).toString('base64');
  return { writer, blob, digest: createHash('sha256').update(blob).digest('hex') };
}

function decodeRegistry(json: unknown): Registry {
  const value = json as Registry;
  if (typeof value.blob !== 'string' || typeof value.digest !== 'string') throw new Error('not a registry');
  return value;
}

const isConsistent = (value: Registry): boolean =>
  createHash('sha256').update(value.blob).digest('hex') === value.digest;

describe('ZooKeeper registry store', { skip: zooKeeperSkipReason() }, () => {
  let zk: ZooKeeperServer;
  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    await zk?.destroy();
  });

  const open = (options: ZkCoordinationOptions): Promise<RegistryStore<Registry> & AsyncDisposable> =>
    openZkRegistryStore(options, decodeRegistry);

  async function registryChildren(options: ZkCoordinationOptions): Promise<string[]> {
    await using raw = await openZkSession({ ...options, sessionTimeoutMs: 10_000, connectTimeoutMs: 5000 });
    return await raw.getChildren(`${options.url.path}/registry`);
  }

  it('starts empty, versions every write, and refuses a writer holding a stale version', async () => {
    const options = zkTestOptions(zk.connectString);
    await using deposed = await open(options);
    await using successor = await open(options);
    assert.deepEqual(await deposed.read(), { value: undefined, version: 0 });

    const v1 = await deposed.compareAndSet(registry('deposed', 100), 0);
    // The successor takes over: reads, then writes on top of what it read.
    const seen = await successor.read();
    assert.equal(seen.version, v1);
    const v2 = await successor.compareAndSet(registry('successor', 100), seen.version);

    // The deposed master still believes in v1; its write must not land.
    await assert.rejects(deposed.compareAndSet(registry('deposed', 100), v1), (err: unknown) => {
      assert.ok(err instanceof RegistryConflictError);
      assert.equal(err.expectedVersion, v1);
      assert.equal(err.actualVersion, v2);
      return true;
    });
    const final = await deposed.read();
    assert.equal(final.version, v2);
    assert.equal(final.value?.writer, 'successor');
  });

  it('round-trips a 3 MB registry through chunk nodes and cleans up replaced generations', async () => {
    const options = zkTestOptions(zk.connectString);
    await using store = await open(options);
    const big = registry('leader', 2_250_000); // 3 MB of base64, ~2.3 MB gzipped: five 512 KiB chunks
    assert.ok(JSON.stringify(big).length > 3_000_000);
    const v1 = await store.compareAndSet(big, 0);
    assert.deepEqual(await store.read(), { value: big, version: v1 });
    const [generation, ...others] = await registryChildren(options);
    assert.match(generation ?? '', /^gen-/);
    assert.deepEqual(others, []);

    // A deposed writer's big write fails and leaves no chunks behind.
    await assert.rejects(store.compareAndSet(registry('deposed', 2_250_000), 0), RegistryConflictError);
    assert.deepEqual(await registryChildren(options), [generation]);

    // Shrinking back to an inline registry drops the chunks.
    const v2 = await store.compareAndSet(registry('leader', 1000), v1);
    assert.deepEqual(await registryChildren(options), []);
    assert.equal((await store.read()).version, v2);
  });

  it('never lets a reader see a half-written registry while large writes replace each other', async () => {
    const options = zkTestOptions(zk.connectString);
    await using writer = await open(options);
    await using reader = await open(options);
    let version = await writer.compareAndSet(registry('w0', 1_500_000), 0);
    let writing = true;
    const writes = (async () => {
      for (let i = 1; i <= 6; i++)
        version = await writer.compareAndSet(registry(`w${i}`, 1_500_000), version);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const { value } = await reader.read();
      assert.ok(value !== undefined && isConsistent(value), `read ${reads} is consistent`);
      reads++;
    }
    await writes;
    assert.ok(reads > 0);
    assert.equal((await reader.read()).value?.writer, 'w6');
  });

  it('reads again when a writer removes the generation being read', async () => {
    const options = zkTestOptions(zk.connectString);
    await using writer = await open(options);
    const v1 = await writer.compareAndSet(registry('first', 1_500_000), 0);

    // The reader's chunk reads wait at a gate, so the writer can replace the generation meanwhile.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let reachedGate: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (reachedGate = resolve));
    const gated = (session: ZkSession): ZkSession =>
      new Proxy(session, {
        get(target, property) {
          if (property === 'getData') {
            return async (path: string) => {
              if (path.includes('/gen-')) {
                reachedGate();
                await gate;
              }
              return target.getData(path);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function'
            ? (value as (...args: unknown[]) => unknown).bind(target)
            : value;
        },
      });
    const connect = zkConnector({ ...options, sessionTimeoutMs: 10_000, connectTimeoutMs: 5000 });
    await using reader = await ZkRegistryStore.open({
      connect: async () => gated(await connect()),
      path: options.url.path,
      decode: decodeRegistry,
      log: options.log,
    });

    const reading = reader.read();
    await blocked; // the reader holds the first manifest and waits for its chunks
    const v2 = await writer.compareAndSet(registry('second', 1_500_000), v1);
    openGate();
    const { value, version } = await reading;
    assert.equal(version, v2);
    assert.equal(value?.writer, 'second');
    assert.ok(value !== undefined && isConsistent(value));
  });

  it('shares the election path without disturbing the election', async () => {
    const options = zkTestOptions(zk.connectString);
    await using store = await open(options);
    await store.compareAndSet(registry('leader', 10), 0);
    const candidacy = await zkMasterContender(options).contend(masterInfoFixture(1), recordingObserver());
    await using detector = await startZkMasterDetector(options);
    await waitUntil('the master leads', () => candidacy.isLeader());
    assert.equal((await detector.detect(undefined))?.id, 'master-1');
    await candidacy.withdraw();
  });
});
