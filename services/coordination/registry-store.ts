/**
 * Where the leading master keeps its registry (known agents, unreachable/gone lists, quota,
 * weights, maintenance): one JSON document with a version, replaced as a whole by
 * compare-and-set. The version is the fence between leaders: a deposed leader still holding the
 * version it read cannot overwrite what its successor wrote since.
 *
 * Implementations: `InMemoryRegistryStore` (standalone masters, tests) and `ZkRegistryStore`.
 */
import { invalidCall, MesoError } from '../core/errors.js';

export interface VersionedValue<T> {
  /** `undefined` until the first successful write. */
  readonly value: T | undefined;
  /** Opaque token for `compareAndSet`; only equality with a later read means anything. */
  readonly version: number;
}

export interface RegistryStore<T> {
  /** The latest committed value; never a mix of two writes. */
  read(): Promise<VersionedValue<T>>;
  /**
   * Replaces the value if it is still at `expectedVersion` (as returned by `read` or the last
   * `compareAndSet`) and resolves with the new version. Rejects with `RegistryConflictError` when
   * another writer moved the version; the stored value is then untouched. `value` must survive
   * `JSON.stringify` (no functions, cycles, `undefined` in arrays, or `BigInt`).
   */
  compareAndSet(value: T, expectedVersion: number): Promise<number>;
}

/** Turns stored JSON back into a `T`, throwing when it does not fit (e.g. a zod schema's `parse`). */
export type RegistryDecoder<T> = (json: unknown) => T;

/**
 * Another writer changed the registry since `expectedVersion` was read. For a master this means
 * another master leads now: it must stop writing and step down.
 */
export class RegistryConflictError extends MesoError {
  constructor(
    readonly expectedVersion: number,
    /** The version found, when the store knows it. */
    readonly actualVersion: number | undefined,
  ) {
    super(
      'ILLEGAL_STATE',
      `the registry was changed by another writer (expected version ${expectedVersion}` +
        `${actualVersion === undefined ? '' : `, found ${actualVersion}`}); this master may no longer lead`,
    );
    this.name = 'RegistryConflictError';
  }
}

/** The JSON text stored for `value`; throws `INVALID_CALL` when `value` has no JSON form. */
export function registryJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw invalidCall(`the registry value cannot be written as JSON: ${(error as Error).message}`);
  }
  if (json === undefined)
    throw invalidCall(`the registry value cannot be written as JSON: it is ${typeof value}`);
  return json;
}

/** Keeps the registry in this process; values are copied through JSON, like a real store. */
export class InMemoryRegistryStore<T> implements RegistryStore<T> {
  private json: string | undefined;
  private version = 0;

  constructor(private readonly decode: RegistryDecoder<T>) {}

  async read(): Promise<VersionedValue<T>> {
    const value = this.json === undefined ? undefined : this.decode(JSON.parse(this.json));
    return { value, version: this.version };
  }

  async compareAndSet(value: T, expectedVersion: number): Promise<number> {
    if (expectedVersion !== this.version) throw new RegistryConflictError(expectedVersion, this.version);
    this.json = registryJson(value);
    return ++this.version;
  }
}
