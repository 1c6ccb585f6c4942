/** Rules a FrameworkInfo must satisfy to subscribe (Mesos `validation::framework`). Pure. */
import { hasCapability, type FrameworkInfo } from '../core/v1/cluster.js';

/** Mesos role names: non-empty, not `.` or `..`, no leading `-`, no whitespace, `/` only as a separator. */
export function roleNameProblem(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role === '') return 'role name must not be empty';
  for (const part of role.split('/')) {
    if (part === '' || part === '.' || part === '..')
      return `role '${role}' has an empty, '.' or '..' component`;
    if (part.startsWith('-')) return `role '${role}' has a component starting with '-'`;
    if (/\s/.test(part) || [...part].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
      return `role '${role}' contains whitespace or control characters`;
  }
  return undefined;
}

/** Returns why the framework cannot subscribe, or `undefined` when it can. */
export function validateFrameworkInfo(
  info: FrameworkInfo,
  suppressedRoles: readonly string[],
): string | undefined {
  const multiRole = hasCapability(info, 'MULTI_ROLE');
  if (!multiRole && info.roles !== undefined && info.roles.length > 0) {
    return "'roles' requires the MULTI_ROLE capability (use 'role' otherwise)";
  }
  if (multiRole && info.role !== undefined)
    return "'role' must not be set together with the MULTI_ROLE capability";
  const roles = multiRole ? (info.roles ?? []) : [info.role ?? '*'];
  if (new Set(roles).size !== roles.length) return "'roles' contains duplicates";
  for (const role of roles) {
    const problem = roleNameProblem(role);
    if (problem !== undefined) return problem;
  }
  const stray = suppressedRoles.find((r) => !roles.includes(r));
  if (stray !== undefined) return `suppressed role '${stray}' is not one of the framework's roles`;
  if (!Number.isFinite(info.failover_timeout) || info.failover_timeout < 0) {
    return "'failover_timeout' must be a non-negative number of seconds";
  }
  if (info.name.trim() === '') return "'name' must not be empty";
  return undefined;
}
