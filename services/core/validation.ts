/**
 * Turning untrusted JSON into typed values at the edge. Every failure names the offending field
 * (`accept.operations[0].launch.task_infos[1].task_id.value: ...`) so a client can fix its call.
 */
import type { z } from 'zod';
import { invalidCall } from './errors.js';

/** Mesos treats `null` as "field not set"; removing nulls first lets schemas see plain absence. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(dropNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== null) out[key] = dropNulls(v);
    return out;
  }
  return value;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join('');
      return `${path === '' ? '(body)' : path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses `raw` with `schema`, throwing an INVALID_CALL `MesoError` whose message names the fields. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(dropNulls(raw));
  if (!result.success) throw invalidCall(`Failed to validate ${what}: ${formatIssues(result.error)}`);
  return result.data;
}

/** Parses a JSON text, reporting syntax errors as INVALID_CALL. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidCall(`Failed to parse ${what} as JSON: ${(err as Error).message}`);
  }
}
