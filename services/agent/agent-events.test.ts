import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentEvent } from './agent-events.js';

describe('parseAgentEvent', () => {
  it('accepts a valid event, applying Mesos JSON rules (numeric strings, nulls as unset)', () => {
    const event = parseAgentEvent({
      type: 'REGISTERED',
      registered: { agent_id: { value: 'M-S0' }, ping_interval_seconds: '15', master_id: 'm', extra: null },
    });
    assert.deepEqual(event, {
      type: 'REGISTERED',
      registered: { agent_id: { value: 'M-S0' }, ping_interval_seconds: 15, master_id: 'm' },
    });
  });

  it('skips event types it does not know', () => {
    assert.equal(parseAgentEvent({ type: 'FUTURE_THING' }), undefined);
    assert.equal(parseAgentEvent('nonsense'), undefined);
  });

  it('rejects a malformed known event, naming the field', () => {
    assert.throws(
      () => parseAgentEvent({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'f' } } }),
      /KILL_TASK event: kill_task\.task_id/,
    );
  });
});
