import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_READ_BYTES, SandboxFiles } from './files.js';

describe('SandboxFiles', () => {
  let root: string;
  let workDir: string;
  let files: SandboxFiles;
  const stdout = (): string => path.join(workDir, 'sandbox', 'stdout');

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'meso-files-'));
    workDir = path.join(root, 'work');
    await mkdir(path.join(workDir, 'sandbox'), { recursive: true });
    await writeFile(stdout(), 'hello world\n');
    await writeFile(path.join(root, 'secret'), 'outside');
    await symlink(path.join(root, 'secret'), path.join(workDir, 'sandbox', 'escape'));
    files = await SandboxFiles.open(workDir);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads with Mesos offset semantics', async () => {
    assert.deepEqual(await files.read(stdout(), 0, undefined), { data: 'hello world\n', offset: 0 });
    assert.deepEqual(await files.read(stdout(), 6, 5), { data: 'world', offset: 6 });
    // -1 asks for the size; offsets at or past the end answer it too.
    assert.deepEqual(await files.read(stdout(), -1, undefined), { data: '', offset: 12 });
    assert.deepEqual(await files.read(stdout(), 50, 10), { data: '', offset: 12 });
    assert.deepEqual(await files.read('sandbox/stdout', 0, 5), { data: 'hello', offset: 0 });
  });

  it('caps one read at 16 pages', async () => {
    const big = path.join(workDir, 'sandbox', 'big');
    await writeFile(big, 'x'.repeat(MAX_READ_BYTES + 100));
    assert.equal((await files.read(big, 0, -1)).data.length, MAX_READ_BYTES);
  });

  it('refuses paths outside the work dir, symlinks included, and reports missing ones', async () => {
    await assert.rejects(files.read(path.join(root, 'secret'), 0, undefined), { code: 'FORBIDDEN' });
    await assert.rejects(files.read(`${workDir}/../secret`, 0, undefined), { code: 'FORBIDDEN' });
    await assert.rejects(files.read(path.join(workDir, 'sandbox', 'escape'), 0, undefined), {
      code: 'FORBIDDEN',
    });
    await assert.rejects(files.read(path.join(workDir, 'nope'), 0, undefined), { code: 'NOT_FOUND' });
    await assert.rejects(files.read(path.join(workDir, 'sandbox'), 0, undefined), { code: 'INVALID_CALL' });
  });

  it('lists a directory with Mesos file entries', async () => {
    const listing = await files.browse(path.join(workDir, 'sandbox'));
    const entry = listing.find((f) => f.path.endsWith('/stdout'));
    assert.deepEqual(
      listing.map((f) => path.basename(f.path)),
      ['big', 'escape', 'stdout'],
    );
    assert.equal(entry?.size, 12);
    assert.match(entry?.mode ?? '', /^-rw/);
  });
});
