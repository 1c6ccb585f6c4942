/**
 * ZooKeeper URLs in Mesos's format (`include/mesos/zookeeper/url.hpp`):
 * `zk://host1:2181,host2:2181/mesos` or `zk://user:password@host1:2181/mesos`.
 *
 * Rules, as Mesos applies them: the scheme must be exactly `zk://`; everything from the first `/`
 * after the server list is the group path; text before the last `@` of the server part is the
 * `digest` credential (`user:password`, optionally written `digest!user:password`). The master
 * also refuses the path `/` (its election nodes would sit in the ZooKeeper root).
 */
import { invalidCall, type MesoError } from '../core/errors.js';

export const DEFAULT_ZK_PORT = 2181;

export interface ZkServer {
  readonly host: string;
  readonly port: number;
}

/** A `digest` identity: nodes are then created readable by everyone, writable only by it. */
export interface ZkCredentials {
  readonly username: string;
  readonly password: string;
}

export interface ZkUrl {
  readonly servers: readonly ZkServer[];
  /** Absolute group path, never `/` and never ending in `/` (e.g. `/mesos`). */
  readonly path: string;
  readonly credentials: ZkCredentials | undefined;
}

const SCHEME = 'zk://';
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/**
 * Parses a `zk://` URL. Throws a `MesoError('INVALID_CALL')` whose message quotes the URL (with
 * the password masked) and names what is wrong.
 */
export function parseZkUrl(raw: string): ZkUrl {
  const text = raw.trim();
  const fail = (problem: string): MesoError =>
    invalidCall(`invalid ZooKeeper URL '${redact(text)}': ${problem}`);
  if (!text.startsWith(SCHEME)) throw fail(`expected it to start with '${SCHEME}'`);
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash === -1) throw fail(`it has no path; expected e.g. '${SCHEME}host:${DEFAULT_ZK_PORT}/mesos'`);
  const path = checkPath(rest.slice(slash), fail);
  const authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  const credentials = at === -1 ? undefined : parseCredentials(authority.slice(0, at), fail);
  const servers = parseServers(authority.slice(at + 1), fail);
  return { servers, path, credentials };
}

/** `host1:2181,host2:2181`: the connection string a ZooKeeper client takes (without a chroot). */
export function zkConnectString(url: ZkUrl): string {
  return url.servers.map((s) => `${s.host}:${s.port}`).join(',');
}

/** The URL for logs and error messages: the password is replaced by `***`. */
export function formatZkUrl(url: ZkUrl): string {
  const auth = url.credentials === undefined ? '' : `${url.credentials.username}:***@`;
  return `${SCHEME}${auth}${zkConnectString(url)}${url.path}`;
}

function redact(text: string): string {
  return text.replace(/^(zk:\/\/[^:@/]*:)[^/]*@/, '$1***@');
}

type Fail = (problem: string) => MesoError;

function checkPath(path: string, fail: Fail): string {
  if (path === '/') throw fail(`the path '/' is not supported; use a dedicated node such as '/mesos'`);
  if (path.endsWith('/')) throw fail(`the path '${path}' must not end with '/'`);
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') throw fail(`the path '${path}' has an empty segment`);
    if (segment === '.' || segment === '..')
      throw fail(`the path '${path}' has a relative segment '${segment}'`);
    // eslint-disable-next-line no-control-regex -- ZooKeeper rejects control characters in paths
    if (/[\u0000-\u001f\u007f]/.test(segment)) throw fail(`the path '${path}' contains a control character`);
  }
  return path;
}

function parseCredentials(auth: string, fail: Fail): ZkCredentials {
  const bang = auth.indexOf('!');
  if (bang !== -1 && auth.slice(0, bang) !== 'digest') {
    throw fail(`authentication scheme '${auth.slice(0, bang)}' is not supported; only 'digest' is`);
  }
  const credentials = auth.slice(bang + 1);
  const colon = credentials.indexOf(':');
  if (colon <= 0) throw fail(`credentials must be 'user:password' before '@'`);
  return { username: credentials.slice(0, colon), password: credentials.slice(colon + 1) };
}

function parseServers(list: string, fail: Fail): ZkServer[] {
  if (list === '') throw fail('it names no server');
  return list.split(',').map((entry) => {
    const server = entry.trim();
    if (server === '') throw fail(`the server list '${list}' has an empty entry`);
    const colon = server.lastIndexOf(':');
    const host = colon === -1 ? server : server.slice(0, colon);
    const portText = colon === -1 ? String(DEFAULT_ZK_PORT) : server.slice(colon + 1);
    if (!HOST.test(host)) throw fail(`server '${server}' has an invalid host name '${host}'`);
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65_535) {
      throw fail(`server '${server}' has an invalid port '${portText}'`);
    }
    return { host, port };
  });
}
