import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MesoError } from '../core/errors.js';
import { hostPortFlag } from './flags.js';

describe('hostPortFlag', () => {
  it('splits at the last colon and checks the port', () => {
    assert.deepEqual(hostPortFlag('to', 'meso-agent-1:5051'), { host: 'meso-agent-1', port: 5051 });
    assert.deepEqual(hostPortFlag('to', '127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  });

  it('refuses anything else with a usage error naming the flag', () => {
    for (const [value, message] of [
      ['meso-agent-1', /--to must be host:port; received 'meso-agent-1'/],
      [':5051', /--to must be host:port/],
      ['agent:http', /--to must be a port number; received 'http'/],
      ['agent:70000', /--to must be a port number/],
    ] as const) {
      assert.throws(
        () => hostPortFlag('to', value),
        (err: unknown) =>
          err instanceof MesoError && err.code === 'INVALID_CALL' && message.test(err.message),
        value,
      );
    }
  });
});
