import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryRegistryStore, RegistryConflictError } from './registry-store.js';

interface Registry {
  readonly agents: readonly string[];
}
const decode = (json: unknown): Registry => json as Registry;

describe('InMemoryRegistryStore', () => {
  it('starts empty at version 0 and versions every write', async () => {
    const store = new InMemoryRegistryStore(decode);
    assert.deepEqual(await store.read(), { value: undefined, version: 0 });
    const v1 = await store.compareAndSet({ agents: ['a1'] }, 0);
    const v2 = await store.compareAndSet({ agents: ['a1', 'a2'] }, v1);
    assert.deepEqual(await store.read(), { value: { agents: ['a1', 'a2'] }, version: v2 });
  });

  it('refuses a stale version with a typed error and keeps the stored value', async () => {
    const store = new InMemoryRegistryStore(decode);
    const v1 = await store.compareAndSet({ agents: ['new-leader'] }, 0);
    await assert.rejects(store.compareAndSet({ agents: ['deposed'] }, 0), (err: unknown) => {
      assert.ok(err instanceof RegistryConflictError);
      assert.equal(err.expectedVersion, 0);
      assert.equal(err.actualVersion, v1);
      return true;
    });
    assert.deepEqual((await store.read()).value, { agents: ['new-leader'] });
  });

  it('copies values, so later mutation of the written object is not stored', async () => {
    const store = new InMemoryRegistryStore(decode);
    const agents = ['a1'];
    await store.compareAndSet({ agents }, 0);
    agents.push('a2');
    assert.deepEqual((await store.read()).value, { agents: ['a1'] });
  });

  it('rejects values without a JSON form', async () => {
    const store = new InMemoryRegistryStore((json: unknown) => json);
    await assert.rejects(
      store.compareAndSet(() => 1, 0),
      /cannot be written as JSON/,
    );
    await assert.rejects(store.compareAndSet(10n, 0), /cannot be written as JSON/);
  });

  it('runs the decoder on read', async () => {
    const store = new InMemoryRegistryStore((json: unknown): Registry => {
      if (typeof json !== 'object' || json === null || !('agents' in json)) throw new Error('not a registry');
      return json as Registry;
    });
    await store.compareAndSet({ other: 1 } as unknown as Registry, 0);
    await assert.rejects(store.read(), /not a registry/);
  });
});
