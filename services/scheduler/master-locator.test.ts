import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StandaloneDetector } from '../coordination/standalone.js';
import type { MasterInfo } from '../core/v1/cluster.js';
import { detectedMaster } from './master-locator.js';

const leader: MasterInfo = {
  id: 'm2',
  ip: 33554442,
  port: 5050,
  pid: 'master@10.0.0.2:5050',
  hostname: 'm2',
  version: '1.11.0',
  address: { hostname: 'm2', ip: '10.0.0.2', port: 5050 },
  capabilities: [],
};

describe('detectedMaster', () => {
  it('waits for a leader and returns its URL', async () => {
    const detector = new StandaloneDetector();
    const url = detectedMaster(detector)(new AbortController().signal);
    detector.appoint(leader);
    assert.equal(await url, 'http://10.0.0.2:5050');
  });

  it('gives up when the client closes', async () => {
    const closing = new AbortController();
    const url = detectedMaster(new StandaloneDetector())(closing.signal);
    closing.abort(new Error('closed'));
    await assert.rejects(url, /closed/);
  });
});
