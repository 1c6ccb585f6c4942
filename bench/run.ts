/**
 * Benchmark dispatcher: `node dist/bench/run.js <name> [args...]` imports `./<name>.js` from this
 * directory and awaits its exported `main(args)`. With no name (or an unknown one) it lists the
 * benchmarks: the modules next to this file, except this one. Shared helpers live in `lib/`, which
 * is not listed. Under tsx (`node --import tsx bench/run.ts ...`) the same works with `.ts` files.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchmarkModule {
  main(args: string[]): Promise<void> | void;
}

const selfPath = fileURLToPath(import.meta.url);
const benchDir = dirname(selfPath);
/** `.js` when running from `dist/`, `.ts` under tsx; benchmarks share the dispatcher's extension. */
const moduleExtension = extname(selfPath);

async function availableBenchmarks(): Promise<string[]> {
  const entries = await readdir(benchDir, { withFileTypes: true });
  return entries
    .filter(
      (entry) =>
        entry.isFile() && extname(entry.name) === moduleExtension && entry.name !== basename(selfPath),
    )
    .map((entry) => basename(entry.name, moduleExtension))
    .filter((name) => !name.endsWith('.test') && !name.endsWith('.d'))
    .sort();
}

function isBenchmarkModule(value: unknown): value is BenchmarkModule {
  return (
    typeof value === 'object' && value !== null && typeof (value as { main?: unknown }).main === 'function'
  );
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const names = await availableBenchmarks();
  if (name === undefined || !names.includes(name)) {
    if (name !== undefined) console.error(`unknown benchmark '${name}'`);
    console.log(
      `usage: node ${basename(selfPath)} <benchmark> [args...]\nbenchmarks:\n${names.map((n) => `  ${n}`).join('\n')}`,
    );
    return name === undefined ? 0 : 1;
  }
  const loaded: unknown = await import(pathToFileURL(`${benchDir}/${name}${moduleExtension}`).href);
  if (!isBenchmarkModule(loaded)) {
    console.error(`benchmark '${name}' does not export main(args)`);
    return 1;
  }
  await loaded.main(args);
  return 0;
}

process.exitCode = await run(process.argv.slice(2));
