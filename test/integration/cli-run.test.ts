/** `meso run`, the real binary, against a real master and agent: output streamed, exit status kept. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';

const meso = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'services', 'cmd', 'meso.js');

async function mesoRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [meso, 'run', ...args], {
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('meso run', () => {
  const cluster = new Cluster();
  let master: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url);
  });
  after(() => cluster.stopAll());

  it("prints the task's stdout and exits 0 when it succeeds", async () => {
    const result = await mesoRun(['--master', master.url, '--', 'echo line-one; echo line-two']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'line-one\nline-two\n');
    assert.match(result.stderr, /TASK_FINISHED/);
  });

  it("exits with the task's exit status and shows its stderr", async () => {
    const result = await mesoRun(['--master', master.url, '--', 'echo oops >&2; exit 7']);
    assert.equal(result.code, 7, result.stderr);
    assert.match(result.stderr, /oops/);
    assert.match(result.stderr, /TASK_FAILED/);
  });

  it('refuses a bad flag with a usage error naming it', async () => {
    const result = await mesoRun(['--master', master.url, '--cpus', 'lots', '--', 'true']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cpus/);
  });
});
