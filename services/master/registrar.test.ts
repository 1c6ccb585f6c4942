import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoordinationError } from '../coordination/errors.js';
import {
  InMemoryRegistryStore,
  RegistryConflictError,
  type RegistryStore,
  type VersionedValue,
} from '../coordination/registry-store.js';
import { ManualClock } from '../core/clock.js';
import type { FrameworkId } from '../core/ids.js';
import { silentLogger } from '../log/logger.js';
import { decodeMasterRegistry, type MasterRegistry, Registrar } from './registrar.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Counts writes; `failNextWrite` makes the next one land and then fail as if the connection dropped. */
class RecordingStore implements RegistryStore<MasterRegistry> {
  readonly inner = new InMemoryRegistryStore(decodeMasterRegistry);
  writes = 0;
  failNextWrite = false;

  read(): Promise<VersionedValue<MasterRegistry>> {
    return this.inner.read();
  }

  async compareAndSet(value: MasterRegistry, expectedVersion: number): Promise<number> {
    this.writes++;
    const version = await this.inner.compareAndSet(value, expectedVersion);
    if (!this.failNextWrite) return version;
    this.failNextWrite = false;
    throw new CoordinationError('connection-loss', 'connection lost during setData');
  }
}

function setUp(options: { leading?: () => boolean } = {}) {
  const clock = new ManualClock();
  const store = new RecordingStore();
  const conflicts: RegistryConflictError[] = [];
  const registrar = new Registrar({
    store,
    clock,
    log: silentLogger,
    isLeader: options.leading ?? (() => true),
    onConflict: (error) => conflicts.push(error),
  });
  return { clock, store, conflicts, registrar };
}

const agent = (n: number) => ({ id: `a${n}`, hostname: `h${n}`, url: `http://10.0.0.${n}:5051` });
const framework = (id: string, failoverTimeout: number) => ({
  id: { value: id },
  user: 'u',
  name: id,
  failover_timeout: failoverTimeout,
  checkpoint: false,
});

describe('Registrar', () => {
  it('recovers by writing back what it read, which fences off the previous writer', async () => {
    const { store, registrar } = setUp();
    const before = await store.read();
    assert.deepEqual(await registrar.recover(), {
      agents: [],
      frameworks: [],
      policy: { weights: [], quotas: [] },
      deactivatedAgents: [],
    });
    // The previous leader still holds version 0: its next write fails.
    await assert.rejects(
      store.inner.compareAndSet(
        { agents: [], frameworks: [], policy: { weights: [], quotas: [] }, deactivatedAgents: [] },
        before.version,
      ),
      RegistryConflictError,
    );
  });

  it('batches changes into one write and skips changes that change nothing', async () => {
    const { clock, store, registrar } = setUp();
    await registrar.recover();
    const afterRecovery = store.writes;
    registrar.putAgent(agent(1));
    registrar.putAgent(agent(2));
    registrar.putFramework(framework('f1', 60));
    clock.advance(100);
    await settle();
    assert.equal(store.writes, afterRecovery + 1);
    assert.deepEqual((await store.read()).value, {
      agents: [agent(1), agent(2)],
      frameworks: [{ id: 'f1', info: framework('f1', 60) }],
      policy: { weights: [], quotas: [] },
      deactivatedAgents: [],
    });

    registrar.putAgent(agent(1));
    registrar.putFramework(framework('f1', 60));
    clock.advance(1000);
    await settle();
    assert.equal(store.writes, afterRecovery + 1, 'nothing changed, nothing written');

    registrar.putAgent({ ...agent(2), unreachableTimeSec: 42 });
    registrar.removeFramework('f1' as FrameworkId);
    clock.advance(100);
    await settle();
    assert.deepEqual((await store.read()).value, {
      agents: [agent(1), { ...agent(2), unreachableTimeSec: 42 }],
      frameworks: [],
      policy: { weights: [], quotas: [] },
      deactivatedAgents: [],
    });
  });

  it('stores the role policy and resolves only once a write holding it succeeded', async () => {
    const { clock, store, registrar } = setUp();
    await registrar.recover();
    let stored = false;
    const policy = {
      weights: [{ role: 'eng', weight: 2 }],
      quotas: [{ role: 'eng', guarantees: { cpus: 1 }, limits: { cpus: 4 } }],
    };
    const written = registrar.putPolicy(policy).then(() => (stored = true));
    await settle();
    assert.equal(stored, false, 'resolved before the write');
    clock.advance(100);
    await written;
    assert.deepEqual((await store.read()).value?.policy, policy);
  });

  it('stores deactivated and draining agents, resolving once written, and recovers them', async () => {
    const { clock, store, registrar } = setUp();
    await registrar.recover();
    const agents = [
      { id: 'a1' },
      { id: 'a2', drain: { state: 'DRAINING' as const, config: { maxGracePeriodNs: 5e9, markGone: false } } },
    ];
    let stored = false;
    const written = registrar.putDeactivatedAgents(agents).then(() => (stored = true));
    await settle();
    assert.equal(stored, false, 'resolved before the write');
    clock.advance(100);
    await written;
    assert.deepEqual((await store.read()).value?.deactivatedAgents, agents);
    const successor = new Registrar({
      store,
      clock,
      log: silentLogger,
      isLeader: () => true,
      onConflict: () => undefined,
    });
    assert.deepEqual((await successor.recover()).deactivatedAgents, agents);
  });

  it('reports a conflict once when another master wrote, and writes nothing after', async () => {
    const { clock, store, conflicts, registrar } = setUp();
    await registrar.recover();
    const { version } = await store.read();
    await store.inner.compareAndSet(
      { agents: [agent(9)], frameworks: [], policy: { weights: [], quotas: [] }, deactivatedAgents: [] },
      version,
    ); // a successor
    registrar.putAgent(agent(1));
    clock.advance(100);
    await settle();
    assert.equal(conflicts.length, 1);
    const writes = store.writes;
    registrar.putAgent(agent(2));
    clock.advance(10_000);
    await settle();
    assert.equal(store.writes, writes);
    assert.deepEqual((await store.read()).value?.agents, [agent(9)]);
  });

  it('writes nothing once it no longer leads', async () => {
    let leading = true;
    const { clock, store, registrar } = setUp({ leading: () => leading });
    await registrar.recover();
    const writes = store.writes;
    leading = false;
    registrar.putAgent(agent(1));
    clock.advance(10_000);
    await settle();
    assert.equal(store.writes, writes);
  });

  it('settles a write whose outcome was unknown by reading back, then writes on top of it', async () => {
    const { clock, store, conflicts, registrar } = setUp();
    await registrar.recover();
    store.failNextWrite = true; // lands, but the answer is lost
    registrar.putAgent(agent(1));
    clock.advance(100);
    await settle();
    registrar.putAgent(agent(2));
    clock.advance(1000); // the retry delay
    await settle();
    await settle();
    assert.deepEqual(conflicts, []);
    assert.deepEqual((await store.read()).value?.agents, [agent(1), agent(2)]);
  });
});
