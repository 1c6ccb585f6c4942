import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatZkUrl, parseZkUrl, zkConnectString } from './zk-url.js';

describe('parseZkUrl', () => {
  it('parses a server list and a path', () => {
    const url = parseZkUrl('zk://zk1:2181,zk2:2182,10.0.0.3/mesos');
    assert.deepEqual(url, {
      servers: [
        { host: 'zk1', port: 2181 },
        { host: 'zk2', port: 2182 },
        { host: '10.0.0.3', port: 2181 },
      ],
      path: '/mesos',
      credentials: undefined,
    });
    assert.equal(zkConnectString(url), 'zk1:2181,zk2:2182,10.0.0.3:2181');
  });

  it('keeps nested paths and trims surrounding blanks', () => {
    assert.equal(parseZkUrl('  zk://zk1:2181/prod/mesos\n').path, '/prod/mesos');
  });

  it('reads digest credentials before the last @', () => {
    const url = parseZkUrl('zk://ops:s3cr@t@zk1:2181/mesos');
    assert.deepEqual(url.credentials, { username: 'ops', password: 's3cr@t' });
    assert.deepEqual(url.servers, [{ host: 'zk1', port: 2181 }]);
    assert.deepEqual(parseZkUrl('zk://digest!ops:pw@zk1/mesos').credentials, {
      username: 'ops',
      password: 'pw',
    });
  });

  it('masks the password when formatting', () => {
    assert.equal(
      formatZkUrl(parseZkUrl('zk://ops:pw@zk1,zk2:2182/mesos')),
      'zk://ops:***@zk1:2181,zk2:2182/mesos',
    );
  });

  for (const [raw, problem] of [
    ['http://zk1:2181/mesos', /expected it to start with 'zk:\/\/'/],
    ['zk://zk1:2181', /it has no path/],
    ['zk://zk1:2181/', /the path '\/' is not supported/],
    ['zk://zk1:2181/mesos/', /must not end with '\/'/],
    ['zk://zk1:2181/a//b', /has an empty segment/],
    ['zk://zk1:2181/a/../b', /relative segment '\.\.'/],
    ['zk:///mesos', /names no server/],
    ['zk://zk1,,zk2/mesos', /has an empty entry/],
    ['zk://zk1:21x81/mesos', /server 'zk1:21x81' has an invalid port '21x81'/],
    ['zk://zk1:0/mesos', /invalid port '0'/],
    ['zk://zk1:70000/mesos', /invalid port '70000'/],
    ['zk://zk_1:2181/mesos', /invalid host name 'zk_1'/],
    ['zk://[::1]:2181/mesos', /invalid host name/],
    ['zk://ops@zk1/mesos', /credentials must be 'user:password'/],
    ['zk://sasl!ops:pw@zk1/mesos', /scheme 'sasl' is not supported/],
  ] as const) {
    it(`rejects '${raw}'`, () => {
      assert.throws(
        () => parseZkUrl(raw),
        (err: unknown) =>
          err instanceof Error &&
          (err as { code?: string }).code === 'INVALID_CALL' &&
          problem.test(err.message),
      );
    });
  }

  it('never echoes the password in an error', () => {
    assert.throws(
      () => parseZkUrl('zk://ops:topsecret@zk1:2181/'),
      (err: Error) => !err.message.includes('topsecret') && err.message.includes('zk://ops:***@zk1:2181/'),
    );
  });
});
