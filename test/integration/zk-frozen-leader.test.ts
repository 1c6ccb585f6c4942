/**
 * The case that makes the session lease necessary: a leading master process is frozen (SIGSTOP,
 * a long GC pause, a suspended VM) while ZooKeeper expires its session and elects a successor.
 * When it thaws it must not act as leader for even one tick, although no ZooKeeper event has
 * reached it yet.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { formatZkUrl, zkMasterContender } from '../../services/coordination/index.js';
import {
  masterInfoFixture,
  recordingObserver,
  sleep,
  startZooKeeper,
  waitUntil,
  zkTestOptions,
  zooKeeperSkipReason,
} from '../helpers/zookeeper.js';

const SESSION_TIMEOUT_MS = 2000;
/**
 * Modules the child imports, located relative to this file so the test runs from the sources
 * (under tsx, which maps `.js` to `.ts`) as well as from the compiled `dist/`.
 */
const MODULES = {
  coordination: new URL('../../services/coordination/index.js', import.meta.url).href,
  clock: new URL('../../services/core/clock.js', import.meta.url).href,
  logger: new URL('../../services/log/logger.js', import.meta.url).href,
};

/** Contends as master-1 and prints one JSON line per event, plus `isLeader()` every 50 ms. */
const MASTER_SCRIPT = `
const config = JSON.parse(process.env.MESO_TEST_MASTER);
const { parseZkUrl, zkMasterContender } = await import(config.modules.coordination);
const { systemClock } = await import(config.modules.clock);
const { silentLogger } = await import(config.modules.logger);
const say = (line) => process.stdout.write(JSON.stringify({ at: Date.now(), ...line }) + '\\n');
const contender = zkMasterContender({
  url: parseZkUrl(config.url),
  sessionTimeoutMs: config.sessionTimeoutMs,
  connectTimeoutMs: 5000,
  clock: systemClock,
  log: silentLogger,
});
const candidacy = await contender.contend(config.info, {
  elected: () => say({ event: 'elected' }),
  lost: (loss) => say({ event: 'lost', ...loss }),
});
setInterval(() => say({ event: 'tick', leader: candidacy.isLeader() }), 50);
`;

interface Line {
  readonly at: number;
  readonly event: 'elected' | 'lost' | 'tick';
  readonly leader?: boolean;
  readonly reason?: string;
  readonly wasLeader?: boolean;
}

function startMasterProcess(url: string): { readonly child: ChildProcess; readonly lines: Line[] } {
  // tsx is needed when running from the sources and harmless for compiled modules.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', MASTER_SCRIPT], {
    env: {
      ...process.env,
      MESO_TEST_MASTER: JSON.stringify({
        url,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        info: masterInfoFixture(1),
        modules: MODULES,
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  createInterface({ input: child.stdout ?? process.stdin }).on('line', (line) =>
    lines.push(JSON.parse(line) as Line),
  );
  return { child, lines };
}

describe('a frozen leader', { skip: zooKeeperSkipReason() }, () => {
  it('never acts as leader after thawing once a successor was elected', async () => {
    await using zk = await startZooKeeper();
    const options = zkTestOptions(zk.connectString, { sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const { child, lines } = startMasterProcess(formatZkUrl(options.url));
    try {
      await waitUntil('the master process leads', () => lines.some((l) => l.event === 'elected'), 30_000);
      const successor = await zkMasterContender(options).contend(masterInfoFixture(2), recordingObserver());

      child.kill('SIGSTOP');
      const frozenAt = Date.now();
      await waitUntil('the successor leads', () => successor.isLeader(), 3 * SESSION_TIMEOUT_MS);
      await sleep(500); // both believe they lead: only the frozen one's own check can save us
      child.kill('SIGCONT');

      await waitUntil('the thawed master hears it lost', () =>
        lines.some((l) => l.at > frozenAt && l.event === 'lost'),
      );
      const thawed = lines.filter((l) => l.at > frozenAt);
      assert.deepEqual(
        thawed.filter((l) => l.event === 'tick' && l.leader === true),
        [],
        'no tick after the freeze saw isLeader() true',
      );
      assert.deepEqual(
        thawed.filter((l) => l.event !== 'tick').map((l) => [l.event, l.reason, l.wasLeader]),
        [['lost', 'session-expired', true]],
      );
      await sleep(500);
      assert.equal(successor.isLeader(), true, 'the successor keeps leading');
      assert.equal(
        lines.filter((l) => l.event === 'elected').length,
        1,
        'the thawed master was not re-elected',
      );
      await successor.withdraw();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
