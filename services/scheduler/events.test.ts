import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerEvent } from './events.js';

describe('parseSchedulerEvent', () => {
  it('applies Mesos defaults and treats null as unset', () => {
    const event = parseSchedulerEvent({
      type: 'SUBSCRIBED',
      subscribed: {
        framework_id: { value: 'F1' },
        master_info: { id: 'm', ip: '16777343', port: 5050, version: null },
      },
    });
    assert.deepEqual(event, {
      type: 'SUBSCRIBED',
      subscribed: {
        framework_id: { value: 'F1' },
        heartbeat_interval_seconds: 15,
        master_info: {
          id: 'm',
          ip: 16777343,
          port: 5050,
          pid: '',
          hostname: '',
          version: '',
          capabilities: [],
          address: { hostname: '', ip: '', port: 5050 },
        },
      },
    });
  });

  it('skips event types it does not model', () => {
    assert.equal(
      parseSchedulerEvent({ type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: [] } }),
      undefined,
    );
    assert.equal(parseSchedulerEvent({ no: 'type' }), undefined);
  });

  it('names the offending field of a malformed known event', () => {
    assert.throws(
      () =>
        parseSchedulerEvent({
          type: 'UPDATE',
          update: { status: { task_id: { value: 't' }, state: 'TASK_BOGUS' } },
        }),
      /update\.status\.state/,
    );
  });
});
