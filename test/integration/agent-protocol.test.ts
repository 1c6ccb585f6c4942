/**
 * The agent against a stand-in master speaking `core/agent-protocol.ts` over real HTTP, with real
 * processes: registration, status updates retried until acknowledged, re-registration with the
 * task list after the stream drops, kills, SHUTDOWN, and the agent's HTTP endpoints.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { AGENT_API_PATH, type AgentCall, type AgentEvent } from '../../services/core/agent-protocol.js';
import { systemClock } from '../../services/core/clock.js';
import type { FrameworkInfo } from '../../services/core/v1/cluster.js';
import type { TaskInfo, TaskState, TaskStatus } from '../../services/core/v1/tasks.js';
import { silentLogger } from '../../services/log/logger.js';
import { encodeRecord } from '../../services/transport/recordio.js';
import {
  type AgentHandle,
  ProcessContainerizer,
  resolveAgentConfig,
  startAgent,
} from '../../services/agent/index.js';

/** Speaks the master side of the protocol and records every call. */
class StandInMaster {
  readonly calls: AgentCall[] = [];
  private stream: ServerResponse | undefined;
  /** Agent ids this master answers pings for; others get 404. */
  readonly known = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<StandInMaster> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const master = new StandInMaster(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void master.handle(req, res));
    return master;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== AGENT_API_PATH || req.method !== 'POST') return void res.writeHead(404).end();
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const call = JSON.parse(body) as AgentCall;
    this.calls.push(call);
    if (call.type === 'REGISTER') {
      const agentId = call.register?.agent_info.id?.value ?? 'S0';
      this.known.add(agentId);
      this.stream?.end();
      this.stream = res;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      this.send({
        type: 'REGISTERED',
        registered: { agent_id: { value: agentId }, ping_interval_seconds: 0.2, master_id: 'm1' },
      });
    } else if (call.type === 'PING') {
      res.writeHead(this.known.has(call.agent_id?.value ?? '') ? 200 : 404).end();
    } else {
      res.writeHead(202).end();
    }
  }

  send(event: AgentEvent): void {
    this.stream?.write(encodeRecord(JSON.stringify(event)));
  }

  dropStream(): void {
    this.stream?.end();
    this.stream = undefined;
  }

  updates(taskId?: string): TaskStatus[] {
    return this.calls
      .flatMap((c) => (c.type === 'UPDATE' && c.update !== undefined ? [c.update.status] : []))
      .filter((s) => taskId === undefined || s.task_id.value === taskId);
  }

  registrations(): NonNullable<AgentCall['register']>[] {
    return this.calls.flatMap((c) => (c.type === 'REGISTER' && c.register !== undefined ? [c.register] : []));
  }

  /** Waits for an update of `taskId` in `state`, acknowledges it, and returns it. */
  async acknowledgeNext(taskId: string, state: TaskState): Promise<TaskStatus> {
    const status = await eventually(() => this.updates(taskId).find((s) => s.state === state));
    this.send({
      type: 'ACKNOWLEDGE',
      acknowledge: {
        framework_id: framework.id ?? { value: '' },
        task_id: { value: taskId },
        uuid: status.uuid ?? '',
      },
    });
    return status;
  }

  async close(): Promise<void> {
    this.dropStream();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Polls until `probe` returns a value (not undefined/false). */
async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

const framework: FrameworkInfo = {
  user: 'nobody',
  name: 'test-framework',
  id: { value: 'fw-1' },
  failover_timeout: 0,
  checkpoint: false,
};

const task = (id: string, command: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: 'S0' },
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31001 }] } },
  ],
  command: { value: command, shell: true },
  ...extra,
});

const runTask = (t: TaskInfo, info: FrameworkInfo = framework): AgentEvent => ({
  type: 'RUN_TASK',
  run_task: { framework_info: info, task: t },
});

describe('agent against a stand-in master', () => {
  let workDir: string;
  let master: StandInMaster;
  let containerizer: ProcessContainerizer;
  let agent: AgentHandle;

  before(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'meso-agent-'));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const startAll = async (): Promise<void> => {
    master = await StandInMaster.start();
    containerizer = new ProcessContainerizer({ clock: systemClock, log: silentLogger });
    const config = resolveAgentConfig(
      {
        masterUrl: master.url,
        workDir: await mkdtemp(path.join(workDir, 'run-')),
        port: 0,
        ip: '127.0.0.1',
        hostname: 'agent-host',
        resources: 'cpus:2;mem:1024;disk:1000',
        attributes: 'rack:r1;level:3',
        registrationBackoffMs: 50,
        statusUpdateRetryMinMs: 150,
      },
      { cpuCount: 1, memTotalBytes: 0, diskTotalBytes: 0, hostname: 'unused', primaryIpv4: undefined },
    );
    agent = await startAgent(config, {
      clock: systemClock,
      log: silentLogger,
      containerizers: [containerizer],
    });
    await eventually(() => agent.state() === 'registered');
  };

  afterEach(async () => {
    await agent.stop();
    await containerizer[Symbol.asyncDispose]();
    await master.close();
  });

  it('registers, retries each update until acknowledged, and reports a finished task', async () => {
    await startAll();
    const [registration] = master.registrations();
    assert.equal(registration?.agent_info.hostname, 'agent-host');
    assert.equal(registration?.agent_info.id, undefined);
    assert.equal(registration?.url, agent.url);
    assert.deepEqual(registration?.tasks, []);
    assert.deepEqual(
      registration?.agent_info.attributes.map((a) => a.name),
      ['rack', 'level'],
    );
    assert.equal(agent.agentId(), 'S0');

    master.send(runTask(task('t1', 'echo "hello $MESOS_TASK_ID $PORT0 $PORTS"')));
    // The first update is re-sent (same uuid) until acknowledged.
    const starting = await eventually(() => {
      const sent = master.updates('t1').filter((s) => s.state === 'TASK_STARTING');
      return sent.length >= 2 && sent[0];
    });
    assert.equal(master.updates('t1').filter((s) => s.uuid === starting.uuid).length >= 2, true);
    assert.equal(Buffer.from(starting.uuid ?? '', 'base64').length, 16);
    assert.equal(starting.source, 'SOURCE_EXECUTOR');
    assert.equal(starting.agent_id?.value, 'S0');
    assert.equal(starting.executor_id?.value, 't1');
    assert.ok(Math.abs((starting.timestamp ?? 0) - Date.now() / 1000) < 10);
    // Only the head is sent: nothing after STARTING before it is acknowledged.
    assert.ok(master.updates('t1').every((s) => s.state === 'TASK_STARTING'));
    const latest = master.calls.filter((c) => c.type === 'UPDATE').at(-1)?.update?.latest_state;
    assert.equal(latest, 'TASK_FINISHED', 'latest_state carries the tail of the queue');

    await master.acknowledgeNext('t1', 'TASK_STARTING');
    await master.acknowledgeNext('t1', 'TASK_RUNNING');
    const finished = await master.acknowledgeNext('t1', 'TASK_FINISHED');
    assert.equal(finished.message, 'Command exited with status 0');
    const states = [...new Set(master.updates('t1').map((s) => s.state))];
    assert.deepEqual(states, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);

    // Acknowledged terminal task: listed as completed, output readable through /files.
    // With its only task completed, the framework itself is completed on this agent.
    const state = await eventually(async () => {
      const body = (await (await fetch(`${agent.url}/state`)).json()) as StateJson;
      return body.frameworks.length === 0 && body;
    });
    const completed = state.completed_frameworks[0]?.completed_executors[0];
    assert.equal(completed?.completed_tasks[0]?.state, 'TASK_FINISHED');
    const stdout = (await (
      await fetch(`${agent.url}/files/read?path=${completed?.directory}/stdout&offset=0`)
    ).json()) as {
      data: string;
    };
    assert.equal(stdout.data, 'hello t1 31000 31000,31001\n');
    const count = master.updates('t1').length;
    await sleep(400);
    assert.equal(master.updates('t1').length, count, 'no retries after the final acknowledgement');
  });

  it('re-registers with its id and tasks after the stream drops, and kills on request', async () => {
    await startAll();
    master.send(runTask(task('t2', 'sleep 30', { kill_policy: { grace_period: { nanoseconds: 5e9 } } })));
    await master.acknowledgeNext('t2', 'TASK_STARTING');
    await master.acknowledgeNext('t2', 'TASK_RUNNING');

    master.dropStream();
    const again = await eventually(() => master.registrations()[1]);
    assert.equal(again.agent_info.id?.value, 'S0');
    assert.deepEqual(
      again.tasks.map((t) => [t.task.task_id.value, t.state, t.framework_id.value]),
      [['t2', 'TASK_RUNNING', 'fw-1']],
    );
    assert.deepEqual(
      again.frameworks.map((f) => f.id?.value),
      ['fw-1'],
    );
    await eventually(() => agent.state() === 'registered');

    master.send({
      type: 'KILL_TASK',
      kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 't2' } },
    });
    const killed = await master.acknowledgeNext('t2', 'TASK_KILLED');
    assert.match(killed.message ?? '', /signal SIGTERM/);
    assert.ok(
      !master.updates('t2').some((s) => s.state === 'TASK_KILLING'),
      'framework lacks TASK_KILLING_STATE',
    );
  });

  it('sends TASK_KILLING to capable frameworks, TASK_LOST for unknown tasks, and re-registers on a 404 ping', async () => {
    await startAll();
    const capable: FrameworkInfo = { ...framework, capabilities: [{ type: 'TASK_KILLING_STATE' }] };
    master.send(runTask(task('t3', 'sleep 30'), capable));
    await master.acknowledgeNext('t3', 'TASK_STARTING');
    await master.acknowledgeNext('t3', 'TASK_RUNNING');
    master.send({
      type: 'KILL_TASK',
      kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 't3' } },
    });
    await master.acknowledgeNext('t3', 'TASK_KILLING');
    await master.acknowledgeNext('t3', 'TASK_KILLED');

    master.send({
      type: 'KILL_TASK',
      kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'ghost' } },
    });
    const lost = await master.acknowledgeNext('ghost', 'TASK_LOST');
    assert.equal(lost.source, 'SOURCE_AGENT');

    master.known.clear();
    const again = await eventually(() => master.registrations()[1]);
    assert.equal(again.agent_info.id?.value, 'S0');
  });

  it('kills a whole task group when one of its tasks fails', async () => {
    await startAll();
    master.send({
      type: 'RUN_TASK_GROUP',
      run_task_group: {
        framework_info: framework,
        executor: { executor_id: { value: 'e1' }, type: 'DEFAULT', resources: [] },
        task_group: { tasks: [task('g1', 'sleep 1; exit 4'), task('g2', 'sleep 30')] },
      },
    });
    for (const id of ['g1', 'g2']) {
      await master.acknowledgeNext(id, 'TASK_STARTING');
      await master.acknowledgeNext(id, 'TASK_RUNNING');
    }
    const failed = await master.acknowledgeNext('g1', 'TASK_FAILED');
    assert.equal(failed.message, 'Command exited with status 4');
    assert.equal(failed.executor_id?.value, 'e1');
    const killed = await master.acknowledgeNext('g2', 'TASK_KILLED');
    assert.equal(killed.executor_id?.value, 'e1');
  });

  it('serves state, flags, statistics and sandbox files under both path spellings', async () => {
    await startAll();
    master.send(runTask(task('t4', 'echo out; sleep 30')));
    await master.acknowledgeNext('t4', 'TASK_STARTING');
    await master.acknowledgeNext('t4', 'TASK_RUNNING');

    assert.equal((await fetch(`${agent.url}/health`)).status, 200);
    const state = (await (await fetch(`${agent.url}/slave(1)/state`)).json()) as StateJson;
    const port = new URL(agent.url).port;
    assert.equal(state.id, 'S0');
    assert.equal(state.pid, `slave(1)@127.0.0.1:${port}`);
    assert.deepEqual(state.attributes, { rack: 'r1', level: 3 });
    assert.equal(state.resources.cpus, 2);
    assert.equal(state.master_hostname, '127.0.0.1');
    const executor = state.frameworks[0]?.executors[0];
    assert.equal(executor?.tasks[0]?.state, 'TASK_RUNNING');
    const flags = (await (await fetch(`${agent.url}/flags`)).json()) as { flags: Record<string, string> };
    assert.equal(flags.flags.attributes, 'rack:r1;level:3');

    const stats = (await (await fetch(`${agent.url}/monitor/statistics`)).json()) as {
      executor_id: string;
      statistics: { cpus_limit: number; mem_limit_bytes: number };
    }[];
    assert.deepEqual(
      stats.map((s) => [s.executor_id, s.statistics.cpus_limit, s.statistics.mem_limit_bytes]),
      [['t4', 0.5, 64 * 1024 * 1024]],
    );

    const read = (query: string) => fetch(`${agent.url}/files/read?${query}`);
    const stdout = `path=${executor?.directory}/stdout`;
    await eventually(
      async () => ((await (await read(`${stdout}&offset=0`)).json()) as { data: string }).data === 'out\n',
    );
    assert.deepEqual(await (await read(stdout)).json(), { data: '', offset: 4 });
    assert.deepEqual(await (await read(`${stdout}&offset=1&length=2`)).json(), { data: 'ut', offset: 1 });
    assert.equal((await read('path=/etc/passwd')).status, 403);
    assert.equal((await read(`path=${executor?.directory}${'/..'.repeat(12)}/etc/passwd`)).status, 403);
    assert.equal((await read(`path=${executor?.directory}/nope`)).status, 404);
    assert.equal((await read(`${stdout}&offset=-5`)).status, 400);
    assert.equal((await read('offset=0')).status, 400);
    const listing = (await (await fetch(`${agent.url}/files/browse?path=${executor?.directory}`)).json()) as {
      path: string;
    }[];
    assert.deepEqual(
      listing.map((f) => path.basename(f.path)),
      ['stderr', 'stdout'],
    );
  });

  it('stops and kills its tasks when the master sends SHUTDOWN', async () => {
    await startAll();
    master.send(runTask(task('t5', 'sleep 30')));
    await master.acknowledgeNext('t5', 'TASK_STARTING');
    await master.acknowledgeNext('t5', 'TASK_RUNNING');
    master.send({ type: 'SHUTDOWN', shutdown: { message: 'agent is gone' } });
    await agent.stopped;
    assert.equal(agent.state(), 'stopped');
    assert.equal(agent.agentId(), undefined);
    await assert.rejects(fetch(`${agent.url}/health`));
  });
});

interface TaskJson {
  state: string;
}
interface ExecutorJson {
  directory: string;
  tasks: TaskJson[];
  completed_tasks: TaskJson[];
}
interface StateJson {
  id: string;
  pid: string;
  master_hostname: string;
  attributes: Record<string, unknown>;
  resources: Record<string, number | string>;
  frameworks: FrameworkJson[];
  completed_frameworks: FrameworkJson[];
}
interface FrameworkJson {
  executors: ExecutorJson[];
  completed_executors: ExecutorJson[];
}
