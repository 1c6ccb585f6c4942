import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { masterInfoFixture } from '../../../test/helpers/zookeeper.js';
import { decodeMasterInfo, encodeMasterInfo } from './master-info-json.js';
import { electionOrder } from './zk-group.js';

describe('electionOrder', () => {
  it('orders members by sequence across labels and drops children without a numeric suffix', () => {
    const children = [
      'json.info_0000000012',
      'log_replicas',
      'registry',
      'info_0000000003',
      'json.info_latest',
      '0000000007',
      'json.info_0000000010',
    ];
    assert.deepEqual(
      electionOrder(children).map((m) => [m.name, m.sequence]),
      [
        ['info_0000000003', 3],
        ['0000000007', 7],
        ['json.info_0000000010', 10],
        ['json.info_0000000012', 12],
      ],
    );
  });
});

describe('MasterInfo node data', () => {
  it('round-trips our MasterInfo', () => {
    const info = masterInfoFixture(1);
    assert.deepEqual(decodeMasterInfo(encodeMasterInfo(info)), info);
  });

  it('fills the optional fields of a minimal Mesos MasterInfo from pid', () => {
    const data = Buffer.from('{"id":"m","ip":"16777343","port":5050,"pid":"master@127.0.0.1:5050"}');
    assert.deepEqual(decodeMasterInfo(data), {
      id: 'm',
      ip: 16_777_343,
      port: 5050,
      pid: 'master@127.0.0.1:5050',
      hostname: '127.0.0.1',
      version: '',
      address: { hostname: '127.0.0.1', ip: '127.0.0.1', port: 5050 },
      capabilities: [],
    });
  });

  for (const [data, problem] of [
    ['{"id": "half', /Failed to parse MasterInfo as JSON/],
    ['{"ip": 1, "port": 5050, "pid": "master@1.2.3.4:5050"}', /id/],
    ['{"id": "m", "ip": 1, "port": 5050}', /neither pid nor address\.ip/],
    ['{"id": "m", "ip": 1, "port": 5050, "pid": "nonsense"}', /master@<ip>:<port>/],
  ] as const) {
    it(`rejects ${data}`, () => assert.throws(() => decodeMasterInfo(Buffer.from(data)), problem));
  }
});
