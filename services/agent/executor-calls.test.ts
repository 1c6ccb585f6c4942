import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MesoError } from '../core/errors.js';
import { parseExecutorCall, validateUpdate } from './executor-calls.js';

const UUID = Buffer.alloc(16, 7).toString('base64');
const update = (status: Record<string, unknown>) =>
  parseExecutorCall({
    type: 'UPDATE',
    executor_id: { value: 'ex' },
    framework_id: { value: 'fw' },
    update: {
      status: {
        task_id: { value: 't' },
        state: 'TASK_RUNNING',
        source: 'SOURCE_EXECUTOR',
        uuid: UUID,
        ...status,
      },
    },
  });
const refused = (status: Record<string, unknown>, why: RegExp) =>
  assert.throws(
    () => validateUpdate(update(status)),
    (err: unknown) => err instanceof MesoError && err.code === 'INVALID_CALL' && why.test(err.message),
  );

describe('executor calls', () => {
  it('accept a valid UPDATE and fill in the calling executor', () => {
    const status = validateUpdate(update({}));
    assert.equal(status.uuid, UUID);
    assert.deepEqual(status.executor_id, { value: 'ex' });
  });

  it('refuse UPDATEs Mesos refuses', () => {
    refused({ uuid: undefined }, /'status.uuid' is required/);
    refused({ uuid: Buffer.alloc(15).toString('base64') }, /16 bytes/);
    refused({ uuid: 'not base64 at all' }, /16 bytes/);
    refused({ source: undefined }, /SOURCE_EXECUTOR; received 'none'/);
    refused({ source: 'SOURCE_MASTER' }, /SOURCE_EXECUTOR/);
    refused({ state: 'TASK_STAGING' }, /TASK_STAGING/);
    refused({ executor_id: { value: 'other' } }, /not the calling executor/);
    assert.throws(
      () =>
        validateUpdate(
          parseExecutorCall({ type: 'UPDATE', executor_id: { value: 'e' }, framework_id: { value: 'f' } }),
        ),
      /Expecting 'update' to be present/,
    );
  });

  it('refuse calls without ids or of unknown types', () => {
    assert.throws(
      () => parseExecutorCall({ type: 'SUBSCRIBE', executor_id: { value: 'e' } }),
      /framework_id/,
    );
    assert.throws(
      () => parseExecutorCall({ type: 'UNKNOWN', executor_id: { value: 'e' }, framework_id: { value: 'f' } }),
      /type/,
    );
  });
});
