/**
 * Placement constraints in Marathon's vocabulary, as pure functions: may a task go to `candidate`
 * (an offer's host) given where the other tasks of its group already run?
 *
 * A constraint reads one *field* of a host: `hostname` (the agent's hostname) or the name of an
 * agent attribute (`rack`, `zone`, ...). Operators:
 *
 * | operator   | value                 | the candidate is accepted when                                   |
 * |------------|-----------------------|------------------------------------------------------------------|
 * | `UNIQUE`   | none                  | no placed task has the candidate's field value                    |
 * | `CLUSTER`  | optional              | the field equals `value`; without one, equals the placed tasks'  |
 * | `GROUP_BY` | optional group count  | its group is new, or the smallest once `value` groups exist       |
 * | `LIKE`     | regular expression    | the field matches it (whole value)                                |
 * | `UNLIKE`   | regular expression    | the field does not match it (a missing field passes)              |
 * | `MAX_PER`  | positive integer      | fewer than `value` placed tasks share the candidate's field value |
 *
 * A host without the field fails every operator except `UNLIKE`.
 */
import { z } from 'zod';
import { formatRanges } from '../core/ranges.js';
import type { Attribute } from '../core/v1/common.js';

export const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER'] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

export interface Constraint {
  /** `hostname` or an agent attribute name. */
  readonly field: string;
  readonly operator: ConstraintOperator;
  readonly value?: string;
}

/** What constraints read of a host: an offer's, or the one a task runs on. */
export interface PlacementSite {
  readonly hostname: string;
  readonly attributes: readonly Attribute[];
}

export type ConstraintVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: ConstraintVerdict = { ok: true };

/** `hostname:UNIQUE`, `rack:CLUSTER:r1`: how constraints are named in messages. */
export const describeConstraint = (c: Constraint): string =>
  [c.field, c.operator, ...(c.value === undefined ? [] : [c.value])].join(':');

/** The value of `field` at `site`, as text (`undefined` when the host has no such attribute). */
export function fieldValue(site: PlacementSite, field: string): string | undefined {
  if (field === 'hostname') return site.hostname;
  const attribute = site.attributes.find((a) => a.name === field);
  if (attribute === undefined) return undefined;
  switch (attribute.type) {
    case 'TEXT':
      return attribute.text?.value ?? '';
    case 'SCALAR':
      return String(attribute.scalar?.value ?? 0);
    case 'SET':
      return (attribute.set?.item ?? []).join(',');
    case 'RANGES':
      return formatRanges(attribute.ranges?.range ?? []);
  }
}

/**
 * Why `constraint` is malformed (its value missing, not a number, not a valid regular
 * expression), or `undefined` when it can be evaluated.
 */
export function constraintProblem(constraint: Constraint): string | undefined {
  const { operator, value } = constraint;
  switch (operator) {
    case 'UNIQUE':
      return value === undefined ? undefined : 'UNIQUE takes no value';
    case 'CLUSTER':
      return undefined;
    case 'GROUP_BY':
      return value === undefined || isPositiveInt(value) ? undefined : 'GROUP_BY takes a positive integer';
    case 'MAX_PER':
      return value !== undefined && isPositiveInt(value) ? undefined : 'MAX_PER takes a positive integer';
    case 'LIKE':
    case 'UNLIKE':
      if (value === undefined) return `${operator} takes a regular expression`;
      try {
        new RegExp(value);
        return undefined;
      } catch {
        return `'${value}' is not a valid regular expression`;
      }
  }
}

const isPositiveInt = (text: string): boolean => /^[1-9]\d*$/.test(text);

/**
 * A constraint as written in app and job definitions: Marathon's `["hostname", "UNIQUE"]` or
 * `["rack", "CLUSTER", "r1"]`, or an object `{ field, operator, value }`. Malformed values are
 * reported on the constraint's path.
 */
export const ConstraintSchema = z
  .union([
    z.tuple([z.string().min(1), z.enum(CONSTRAINT_OPERATORS)], z.string()),
    z.object({
      field: z.string().min(1),
      operator: z.enum(CONSTRAINT_OPERATORS),
      value: z.string().optional(),
    }),
  ])
  .transform((raw, ctx): Constraint => {
    if (Array.isArray(raw) && raw.length > 3) {
      ctx.addIssue({ code: 'custom', message: 'expected [field, operator] or [field, operator, value]' });
      return z.NEVER;
    }
    const constraint: Constraint = Array.isArray(raw)
      ? { field: raw[0], operator: raw[1], ...(raw[2] === undefined ? {} : { value: raw[2] }) }
      : raw;
    const problem = constraintProblem(constraint);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return constraint;
  });

/**
 * Evaluates one constraint for a task that would run at `candidate`, its group's other tasks
 * running at `placed`. The constraint must be well-formed (see `constraintProblem`).
 */
export function checkConstraint(
  constraint: Constraint,
  candidate: PlacementSite,
  placed: readonly PlacementSite[],
): ConstraintVerdict {
  const value = fieldValue(candidate, constraint.field);
  const reject = (why: string): ConstraintVerdict => ({
    ok: false,
    reason: `constraint ${describeConstraint(constraint)}: ${why}`,
  });
  if (value === undefined) {
    return constraint.operator === 'UNLIKE' ? OK : reject(`the agent has no '${constraint.field}' attribute`);
  }
  const placedValues = placed.map((site) => fieldValue(site, constraint.field));
  const sameValue = placedValues.filter((v) => v === value).length;

  switch (constraint.operator) {
    case 'UNIQUE':
      return sameValue === 0 ? OK : reject(`a task already runs where ${constraint.field} is '${value}'`);
    case 'CLUSTER': {
      const wanted = constraint.value ?? placedValues.find((v) => v !== undefined);
      return wanted === undefined || wanted === value ? OK : reject(`'${value}' is not '${wanted}'`);
    }
    case 'MAX_PER': {
      const max = Number(constraint.value);
      return sameValue < max
        ? OK
        : reject(`${sameValue} tasks already run where ${constraint.field} is '${value}'`);
    }
    case 'LIKE':
      return wholeMatch(constraint.value ?? '', value) ? OK : reject(`'${value}' does not match`);
    case 'UNLIKE':
      return wholeMatch(constraint.value ?? '', value) ? reject(`'${value}' matches`) : OK;
    case 'GROUP_BY':
      return checkGroupBy(Number(constraint.value ?? '1'), value, placedValues)
        ? OK
        : reject(`group '${value}' already has more tasks than the smallest group`);
  }
}

/**
 * Marathon's GROUP_BY: a group (field value) not used yet is always fine; an existing one only
 * when at least `minGroups` groups exist and it is (one of) the smallest.
 */
function checkGroupBy(
  minGroups: number,
  value: string,
  placedValues: readonly (string | undefined)[],
): boolean {
  const sizes = new Map<string, number>();
  for (const v of placedValues) if (v !== undefined) sizes.set(v, (sizes.get(v) ?? 0) + 1);
  const size = sizes.get(value);
  if (size === undefined) return true;
  return sizes.size >= minGroups && size === Math.min(...sizes.values());
}

const wholeMatch = (pattern: string, value: string): boolean => new RegExp(`^(?:${pattern})$`).test(value);

/** The first constraint `candidate` violates, or ok. */
export function checkConstraints(
  constraints: readonly Constraint[],
  candidate: PlacementSite,
  placed: readonly PlacementSite[],
): ConstraintVerdict {
  for (const constraint of constraints) {
    const verdict = checkConstraint(constraint, candidate, placed);
    if (!verdict.ok) return verdict;
  }
  return OK;
}
