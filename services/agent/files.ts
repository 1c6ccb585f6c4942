/**
 * Mesos's `/files` semantics over the agent's work dir: sandbox UIs and `meso` read a task's
 * `stdout` by absolute path (`<directory from /state>/stdout`). Nothing outside the work dir is
 * served, symlinks included: paths are checked before and after resolving them.
 */
import type { Stats } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MesoError } from '../core/errors.js';

/** Mesos caps one read at 16 pages. */
export const MAX_READ_BYTES = 16 * 4096;

export interface FileReadResult {
  readonly data: string;
  readonly offset: number;
}

/** Mesos's file entry in a `/files/browse` listing. */
export interface FileInfoJson {
  readonly path: string;
  readonly nlink: number;
  readonly size: number;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  /** `ls -l` style, e.g. `-rw-r--r--`. */
  readonly mode: string;
  readonly uid: string;
  readonly gid: string;
}

export class SandboxFiles {
  /** `root` as configured (sandbox paths in `/state` start with it) and with symlinks resolved. */
  private constructor(
    private readonly root: string,
    private readonly realRoot: string,
  ) {}

  /** Serves files under `workDir` (which must exist). */
  static async open(workDir: string): Promise<SandboxFiles> {
    return new SandboxFiles(path.resolve(workDir), await realpath(workDir));
  }

  /**
   * Reads up to `length` bytes (all that is left when -1 or absent, capped at `MAX_READ_BYTES`) at
   * `offset`. Offset -1 asks for the file's size: `{data: "", offset: size}`; so does any offset at
   * or past the end.
   */
  async read(requested: string, offset: number, length: number | undefined): Promise<FileReadResult> {
    const resolved = await this.resolve(requested);
    if (resolved.stats.isDirectory()) throw new MesoError('INVALID_CALL', 'Cannot read a directory');
    const handle = await open(resolved.path, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = offset === -1 ? size : offset;
      if (start >= size) return { data: '', offset: size };
      const wanted = length === undefined || length === -1 ? size - start : length;
      const buffer = Buffer.alloc(Math.min(wanted, MAX_READ_BYTES, size - start));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      return { data: buffer.subarray(0, bytesRead).toString('utf8'), offset: start };
    } finally {
      await handle.close();
    }
  }

  /** Lists a directory, sorted by path; entries' paths are the requested path joined with their names. */
  async browse(requested: string): Promise<FileInfoJson[]> {
    const resolved = await this.resolve(requested);
    if (!resolved.stats.isDirectory()) return [];
    const names = (await readdir(resolved.path)).sort();
    const entries = await Promise.all(
      names.map(async (name) => {
        const stats = await stat(path.join(resolved.path, name)).catch(() => undefined);
        return stats === undefined ? [] : [fileInfo(path.join(requested, name), stats)];
      }),
    );
    return entries.flat();
  }

  /** Maps a requested path (absolute, or relative to the work dir) to a real path inside the work dir. */
  private async resolve(requested: string): Promise<{ path: string; stats: Stats }> {
    const lexical = path.resolve(this.root, requested);
    if (!inside(this.root, lexical) && !inside(this.realRoot, lexical))
      throw new MesoError('FORBIDDEN', `'${requested}' is outside the agent's work directory`);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw new MesoError('NOT_FOUND', `'${requested}' does not exist`);
    }
    if (!inside(this.realRoot, real))
      throw new MesoError('FORBIDDEN', `'${requested}' is outside the agent's work directory`);
    return { path: real, stats: await stat(real) };
  }
}

const inside = (root: string, candidate: string): boolean =>
  candidate === root || candidate.startsWith(root + path.sep);

function fileInfo(filePath: string, stats: Stats): FileInfoJson {
  const permissions = 'rwxrwxrwx'
    .split('')
    .map((letter, i) => ((stats.mode & (1 << (8 - i))) !== 0 ? letter : '-'))
    .join('');
  return {
    path: filePath,
    nlink: stats.nlink,
    size: stats.size,
    mtime: stats.mtimeMs / 1000,
    mode: `${stats.isDirectory() ? 'd' : '-'}${permissions}`,
    uid: String(stats.uid),
    gid: String(stats.gid),
  };
}
