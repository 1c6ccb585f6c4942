import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveWorkDir } from './agent-command.js';

describe('--work_dir {container}', () => {
  it("puts the agent's container name in place of {container}", () => {
    assert.equal(
      resolveWorkDir('/var/lib/meso/agents/{container}', 'meso-agent-2'),
      '/var/lib/meso/agents/meso-agent-2',
    );
  });

  it('leaves a plain work dir alone, in a container or not', () => {
    assert.equal(resolveWorkDir('/tmp/meso/agent', 'meso-agent-2'), '/tmp/meso/agent');
    assert.equal(resolveWorkDir('/tmp/meso/agent', undefined), '/tmp/meso/agent');
  });

  it('refuses {container} outside a container, naming the flag', () => {
    assert.throws(
      () => resolveWorkDir('/var/lib/meso/{container}', undefined),
      /--work_dir \/var\/lib\/meso\/\{container\} names \{container\}, but the agent does not run in a container/,
    );
  });
});
