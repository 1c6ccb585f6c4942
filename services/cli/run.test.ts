import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  accepted,
  FakeMaster,
  type ReceivedCall,
  openStream,
  subscribedEvent,
  writeEvents,
} from '../scheduler/testing/fake-master.js';
import { runOneOff, type RunOptions } from './run.js';

const SANDBOX = '/work/slaves/S1/frameworks/F1/executors/x/runs/c1';

/** A stand-in agent serving `/state` (once it knows the task) and `/files/read` over fixed files. */
class FakeAgent implements AsyncDisposable {
  taskId: string | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly files: Readonly<Record<string, string>>,
  ) {}

  static async start(files: Readonly<Record<string, string>>): Promise<FakeAgent> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new FakeAgent(server, (server.address() as AddressInfo).port, files);
    server.on('request', (req, res) => agent.answer(new URL(req.url ?? '/', 'http://agent'), res));
    return agent;
  }

  private answer(url: URL, res: ServerResponse): void {
    if (url.pathname === '/state') {
      const executors =
        this.taskId === undefined
          ? []
          : [{ id: this.taskId, directory: SANDBOX, tasks: [{ id: this.taskId }] }];
      return void res.end(JSON.stringify({ frameworks: [{ id: 'F1', executors }] }));
    }
    const content = this.files[(url.searchParams.get('path') ?? '').replace(`${SANDBOX}/`, '')];
    if (content === undefined) return void res.writeHead(404).end();
    const offset = Number(url.searchParams.get('offset'));
    const data = content.slice(offset, offset + Number(url.searchParams.get('length')));
    res.end(JSON.stringify({ data, offset }));
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const offerFrom = (agent: FakeAgent): object => ({
  id: { value: 'O1' },
  framework_id: { value: 'F1' },
  agent_id: { value: 'S1' },
  hostname: 'agent1',
  url: {
    scheme: 'http',
    address: { hostname: 'agent1', ip: '127.0.0.1', port: agent.port },
    path: '/slave(1)',
  },
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*', allocation_info: { role: '*' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, role: '*', allocation_info: { role: '*' } },
  ],
  allocation_info: { role: '*' },
});

const update = (taskId: string, state: string, uuid: string, message?: string): object => ({
  type: 'UPDATE',
  update: { status: { task_id: { value: taskId }, agent_id: { value: 'S1' }, state, uuid, message } },
});

const options = (master: string, overrides: Partial<RunOptions> = {}): RunOptions => ({
  master,
  cpus: 0.5,
  memMiB: 64,
  name: 'hello',
  role: '*',
  user: 'tester',
  command: ['echo', 'hello'],
  ...overrides,
});

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const launchedTask = (accept: ReceivedCall | undefined): Record<string, unknown> => {
  const operations = (
    accept?.call.accept as { operations: { launch: { task_infos: Record<string, unknown>[] } }[] }
  ).operations;
  const task = operations[0]?.launch.task_infos[0];
  assert.ok(task !== undefined, 'ACCEPT carries one LAUNCH with one task');
  return task;
};

describe('runOneOff', () => {
  it('launches the task, streams its output, tears down and exits with its status', async () => {
    await using agent = await FakeAgent.start({ stdout: 'hello\n', stderr: 'a warning\n' });
    let stream: ServerResponse | undefined;
    await using master = await FakeMaster.start((received, res) => {
      const { type } = received.call;
      if (type === 'SUBSCRIBE') {
        stream = res;
        return openStream(res, 'S1', subscribedEvent('F1'), {
          type: 'OFFERS',
          offers: { offers: [offerFrom(agent)] },
        });
      }
      accepted(res);
      if (type === 'ACCEPT' && stream !== undefined) {
        agent.taskId = String((launchedTask(received).task_id as { value: string }).value);
        writeEvents(stream, update(agent.taskId, 'TASK_RUNNING', 'AAAAAAAAAAAAAAAAAAAAAA=='));
      }
      // Fail the task once its output was read, so the live tail (not only the final copy) is exercised.
      if (type === 'ACKNOWLEDGE' && stream !== undefined && agent.taskId !== undefined) {
        writeEvents(
          stream,
          update(agent.taskId, 'TASK_FAILED', 'AQAAAAAAAAAAAAAAAAAAAA==', 'Command exited with status 3'),
        );
      }
      if (type === 'TEARDOWN') stream?.end();
    });
    const stdout = collect();
    const stderr = collect();

    const code = await runOneOff(options(master.url, { image: 'busybox' }), {
      stdout: stdout.stream,
      stderr: stderr.stream,
    });

    assert.equal(code, 3);
    assert.equal(stdout.text(), 'hello\n');
    assert.match(stderr.text(), /meso run: task TASK_RUNNING\n/);
    assert.match(stderr.text(), /meso run: task TASK_FAILED: Command exited with status 3\n/);
    assert.match(stderr.text(), /a warning\n/);

    const task = launchedTask(master.callsOf('ACCEPT')[0]);
    assert.equal(task.name, 'hello');
    assert.match(String((task.task_id as { value: string }).value), /^hello\.[0-9a-f-]{36}$/);
    assert.deepEqual(task.agent_id, { value: 'S1' });
    assert.deepEqual(task.command, { value: 'echo hello', shell: true });
    assert.deepEqual(task.container, { type: 'DOCKER', docker: { image: 'busybox', network: 'HOST' } });
    assert.deepEqual(
      (task.resources as { name: string; scalar: { value: number } }[]).map((r) => [r.name, r.scalar.value]),
      [
        ['cpus', 0.5],
        ['mem', 64],
      ],
    );
    const subscribe = master.callsOf('SUBSCRIBE')[0]?.call.subscribe as {
      framework_info: Record<string, unknown>;
    };
    assert.equal(subscribe.framework_info.failover_timeout, 0);
    assert.equal(master.callsOf('ACKNOWLEDGE').length, 2);
    assert.equal(master.callsOf('SUPPRESS').length, 1);
    assert.equal(master.callsOf('TEARDOWN').length, 1);
  });

  it('declines offers that do not fit and gives up at the timeout with 124', async () => {
    await using agent = await FakeAgent.start({});
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type !== 'SUBSCRIBE') return accepted(res);
      openStream(res, 'S1', subscribedEvent('F1'), {
        type: 'OFFERS',
        offers: { offers: [offerFrom(agent)] },
      });
    });
    const stderr = collect();

    const code = await runOneOff(options(master.url, { memMiB: 4096, timeoutMs: 200 }), {
      stdout: collect().stream,
      stderr: stderr.stream,
    });

    assert.equal(code, 124);
    assert.match(stderr.text(), /offer from agent1 does not fit: not enough mem: 4096 needed, 128 offered/);
    assert.match(stderr.text(), /timed out after 200ms/);
    assert.deepEqual(master.callsOf('DECLINE')[0]?.call.decline, {
      offer_ids: [{ value: 'O1' }],
      filters: { refuse_seconds: 1 },
    });
    assert.equal(master.callsOf('ACCEPT').length, 0);
    assert.equal(master.callsOf('TEARDOWN').length, 1);
  });

  it('fails with 125 when the master refuses the framework', async () => {
    await using master = await FakeMaster.start((_received, res) => {
      openStream(res, 'S1', { type: 'ERROR', error: { message: 'Role "x y" is invalid' } });
      res.end();
    });
    const stderr = collect();

    const code = await runOneOff(options(master.url), { stdout: collect().stream, stderr: stderr.stream });

    assert.equal(code, 125);
    assert.match(stderr.text(), /the master ended the framework: Role "x y" is invalid/);
  });
});
