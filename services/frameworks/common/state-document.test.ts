import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryRegistryStore, RegistryConflictError } from '../../coordination/index.js';
import { silentLogger } from '../../log/logger.js';
import { documentFrameworkIdStore, StateDocument } from './state-document.js';

interface Doc {
  readonly frameworkId?: string;
  readonly count: number;
}

const decode = (json: unknown): Doc => json as Doc;

describe('StateDocument', () => {
  it('serializes changes and skips writes that change nothing', async () => {
    const store = new InMemoryRegistryStore(decode);
    const doc = await StateDocument.open<Doc>(
      store,
      { count: 0 },
      { log: silentLogger, onFenced: () => undefined },
    );
    await Promise.all([1, 2, 3].map(() => doc.update((d) => ({ ...d, count: d.count + 1 }))));
    await doc.update((d) => d);
    assert.equal(doc.value.count, 3);
    assert.deepEqual(await store.read(), { value: { count: 3 }, version: 3 });
  });

  it('reports fencing once another writer moved the document, and refuses later changes', async () => {
    const store = new InMemoryRegistryStore(decode);
    let fenced = 0;
    const deposed = await StateDocument.open<Doc>(
      store,
      { count: 0 },
      { log: silentLogger, onFenced: () => fenced++ },
    );
    const successor = await StateDocument.open<Doc>(
      store,
      { count: 0 },
      { log: silentLogger, onFenced: () => undefined },
    );
    await successor.update(() => ({ count: 10 }));
    await assert.rejects(
      deposed.update(() => ({ count: 1 })),
      RegistryConflictError,
    );
    await assert.rejects(
      deposed.update(() => ({ count: 2 })),
      /no longer leads/,
    );
    assert.equal(fenced, 1);
    assert.equal((await store.read()).value?.count, 10);
  });

  it('keeps the framework id in the document', async () => {
    const doc = await StateDocument.open<Doc>(
      new InMemoryRegistryStore(decode),
      { count: 0 },
      { log: silentLogger, onFenced: () => undefined },
    );
    const ids = documentFrameworkIdStore(doc);
    await ids.save('F1');
    assert.deepEqual(doc.value, { count: 0, frameworkId: 'F1' });
    assert.equal(await ids.load(), 'F1');
    await ids.clear();
    assert.deepEqual(doc.value, { count: 0 });
  });
});
