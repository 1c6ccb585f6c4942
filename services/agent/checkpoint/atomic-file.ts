/**
 * Durable file replacement: a checkpoint file is either its old or its new content, never a mix,
 * whenever the machine or the agent dies. Write a temporary file beside it, fsync it, rename it
 * over the target, fsync the directory (and every directory this created, so the new entries
 * survive too).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary files start with this; a reader skips (and may delete) them. */
export const TEMP_PREFIX = '.tmp-';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await makeDirectoryDurably(dir);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomUUID()}`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** `rm -rf path`, then fsyncs its parent so the removal is durable. */
export async function removeDurably(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await syncDirectory(dirname(path)).catch(() => undefined);
}

/** `mkdir -p dir`, fsyncing the parent of each directory it created. */
async function makeDirectoryDurably(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let created = dir; ; created = dirname(created)) {
    await syncDirectory(dirname(created));
    if (created === first || dirname(created) === created) return;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
