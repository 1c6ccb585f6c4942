import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveWorkDir } from './agent-command.js';

describe('--work_dir {container}', () => {
  it("puts the agent's container name in place of {container}", async () => {
    const name = (): Promise<string> => Promise.resolve('meso-agent-2');
    assert.equal(
      await resolveWorkDir('/var/lib/meso/agents/{container}', name),
      '/var/lib/meso/agents/meso-agent-2',
    );
  });

  it('leaves a plain work dir alone without asking the engine', async () => {
    const asked: string[] = [];
    const name = (): Promise<string> => {
      asked.push('name');
      return Promise.resolve('unused');
    };
    assert.equal(await resolveWorkDir('/tmp/meso/agent', name), '/tmp/meso/agent');
    assert.deepEqual(asked, []);
  });

  it('refuses {container} outside a container, naming the flag', async () => {
    await assert.rejects(
      resolveWorkDir('/var/lib/meso/{container}', () => Promise.resolve(undefined)),
      /--work_dir \/var\/lib\/meso\/\{container\} names \{container\}, but the agent does not run in a container/,
    );
  });
});
