/**
 * Branded identifiers: an `AgentId` cannot be passed where a `FrameworkId` is expected, although
 * both are plain strings on the wire (`{"value": "..."}` in Mesos JSON).
 */
declare const brand: unique symbol;
export type Branded<T, Name extends string> = T & { readonly [brand]: Name };

export type AgentId = Branded<string, 'AgentId'>;
export type FrameworkId = Branded<string, 'FrameworkId'>;
export type TaskId = Branded<string, 'TaskId'>;
export type ExecutorId = Branded<string, 'ExecutorId'>;
export type OfferId = Branded<string, 'OfferId'>;
export type ContainerId = Branded<string, 'ContainerId'>;
export type MasterId = Branded<string, 'MasterId'>;

/** Mesos wraps every id in an object; this is that wire shape. */
export interface WireId {
  readonly value: string;
}

export const wireId = (value: string): WireId => ({ value });
