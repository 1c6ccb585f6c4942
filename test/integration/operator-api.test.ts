/**
 * The v1 operator API over HTTP against a real master and agent: every master call, weights and
 * quota (with quota validation, all-or-nothing), answers to bad input, the agent's `/api/v1`, and
 * the web UI's files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OperatorClient, type Json } from '../../services/cli/operator-client.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { commandTask, DEFAULT_WAIT_MS, TestScheduler } from '../helpers/scheduler.js';

/** POSTs `body` as is to `url`, for the answers to malformed calls. */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const quotaCall = (...configs: Json[]) =>
  JSON.stringify({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: configs } });

describe('operator API: master and agent calls', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let agent: MesoProcess;
  let client: OperatorClient;
  let frameworkId: string;
  const scheduler = { current: undefined as TestScheduler | undefined };

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url, {
      resources: 'cpus:4;mem:2048;disk:1024;ports:[31000-31099]',
    });
    client = new OperatorClient(master.url);
    // A finished task and a running one, so that every view has something to show.
    scheduler.current = new TestScheduler(master.url, { name: 'operator-api-test' });
    frameworkId = await scheduler.current.subscribe();
    const [offer] = await scheduler.current.nextOffers();
    await scheduler.current.client.launch(offer!, [
      commandTask(offer!, 'done-1', 'echo out-done; echo err-done >&2'),
      commandTask(offer!, 'long-1', 'echo started; sleep 60'),
    ]);
    await scheduler.current.sawUpdate('done-1', 'TASK_FINISHED');
    await scheduler.current.sawUpdate('long-1', 'TASK_RUNNING');
  });
  after(async () => {
    await scheduler.current?.[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('answers GET_HEALTH, GET_VERSION, GET_FLAGS, GET_MASTER and GET_METRICS', async () => {
    assert.deepEqual(await client.call('GET_HEALTH'), { healthy: true });
    assert.equal(((await client.call('GET_VERSION'))['version_info'] as Json)['version'], '1.11.0');
    const flags = (await client.call('GET_FLAGS'))['flags'] as { name: string; value: string }[];
    assert.ok(flags.some((f) => f.name === 'allocation_interval' && f.value === '100ms'));
    const got = await client.call('GET_MASTER');
    assert.equal((got['master_info'] as Json)['port'], master.port);
    assert.equal(typeof got['start_time'], 'number');
    const metrics = (await client.call('GET_METRICS'))['metrics'] as { name: string; value: number }[];
    assert.equal(metrics.find((m) => m.name === 'master/elected')?.value, 1);
    assert.equal(metrics.find((m) => m.name === 'master/tasks_running')?.value, 1);
  });

  it('answers GET_AGENTS, GET_FRAMEWORKS, GET_TASKS, GET_EXECUTORS and GET_STATE in v1 shapes', async () => {
    const agents = (await client.call('GET_AGENTS'))['agents'] as Json[];
    assert.equal(agents.length, 1);
    assert.equal(agents[0]?.['pid'], `slave(1)@127.0.0.1:${agent.port}`);
    const total = agents[0]?.['total_resources'] as { name: string; scalar?: { value: number } }[];
    assert.equal(total.find((r) => r.name === 'cpus')?.scalar?.value, 4);
    const allocated = agents[0]?.['allocated_resources'] as { name: string; scalar?: { value: number } }[];
    assert.equal(allocated.find((r) => r.name === 'cpus')?.scalar?.value, 0.1, 'long-1 holds cpus 0.1');

    const frameworks = (await client.call('GET_FRAMEWORKS'))['frameworks'] as Json[];
    const mine = frameworks.find(
      (f) => ((f['framework_info'] as Json)['id'] as Json)['value'] === frameworkId,
    );
    assert.ok(mine !== undefined);
    assert.equal(mine['active'], true);
    assert.deepEqual(mine['registered_time'], {
      nanoseconds: (mine['registered_time'] as Json)['nanoseconds'],
    });
    const stats = mine['offer_stats'] as Record<string, number>;
    assert.ok((stats['sent'] ?? 0) >= 1 && (stats['accepted'] ?? 0) >= 1, JSON.stringify(stats));

    const tasks = await client.call('GET_TASKS');
    const ids = (list: unknown) => (list as Json[]).map((t) => (t['task_id'] as Json)['value']);
    assert.deepEqual(ids(tasks['tasks']), ['long-1']);
    assert.ok(ids(tasks['completed_tasks']).includes('done-1'));
    const done = (tasks['completed_tasks'] as Json[]).find(
      (t) => (t['task_id'] as Json)['value'] === 'done-1',
    );
    assert.equal(done?.['state'], 'TASK_FINISHED');
    // NOTE: only the first status is certain: the master keeps no status arriving after the task
    // ended (its terminal state came earlier, as `latest_state`); see docs/operator.md.
    assert.equal((done?.['statuses'] as Json[])[0]?.['state'], 'TASK_STARTING');

    assert.deepEqual(await client.call('GET_EXECUTORS'), {}, 'command tasks have no executor of their own');
    const state = await client.call('GET_STATE');
    assert.deepEqual(Object.keys(state).sort(), [
      'get_agents',
      'get_executors',
      'get_frameworks',
      'get_tasks',
    ]);
  });

  it('sets weights with UPDATE_WEIGHTS, reads them with GET_WEIGHTS and GET_ROLES', async () => {
    await client.call('UPDATE_WEIGHTS', {
      update_weights: {
        weight_infos: [
          { role: 'eng', weight: 2.5 },
          { role: 'ops', weight: 0.5 },
        ],
      },
    });
    await client.call('UPDATE_WEIGHTS', { update_weights: { weight_infos: [{ role: 'ops', weight: 3 }] } });
    assert.deepEqual(await client.call('GET_WEIGHTS'), {
      weight_infos: [
        { role: 'eng', weight: 2.5 },
        { role: 'ops', weight: 3 },
      ],
    });
    const roles = (await client.call('GET_ROLES'))['roles'] as Json[];
    assert.equal(roles.find((r) => r['name'] === 'eng')?.['weight'], 2.5);
    const star = roles.find((r) => r['name'] === '*');
    assert.deepEqual(star?.['frameworks'], [{ value: frameworkId }]);

    const refused = await post(
      `${master.url}/api/v1`,
      JSON.stringify({
        type: 'UPDATE_WEIGHTS',
        update_weights: { weight_infos: [{ role: 'eng', weight: -1 }] },
      }),
    );
    assert.equal(refused.status, 400);
    assert.match(refused.text, /weights must be positive/);
  });

  it('sets quota with UPDATE_QUOTA and refuses invalid quota, all or nothing', async () => {
    const url = `${master.url}/api/v1`;
    const config = (role: string, guarantees: Json, limits: Json = {}) => ({ role, guarantees, limits });
    const cases: [string, string, RegExp][] = [
      [
        'limit below guarantee',
        quotaCall(config('eng', { cpus: { value: 2 } }, { cpus: { value: 1 } })),
        /limit of 'cpus' \(1\) is below its guarantee \(2\)/,
      ],
      [
        'non-scalar resource',
        quotaCall(config('eng', { ports: { value: 2 } })),
        /'ports' is not a scalar resource/,
      ],
      [
        'negative quantity',
        quotaCall(config('eng', { cpus: { value: -1 } })),
        /must be a non-negative number/,
      ],
      [
        'the default role',
        quotaCall(config('*', { cpus: { value: 1 } })),
        /quota cannot be set for the default role/,
      ],
      ['an invalid role', quotaCall(config('a b', { cpus: { value: 1 } })), /Invalid role 'a b'/],
      ['a role twice', quotaCall(config('eng', {}), config('eng', {})), /names role 'eng' more than once/],
      [
        'beyond capacity',
        quotaCall(config('eng', { cpus: { value: 100 } })),
        /exceed the cluster's capacity \(4\)/,
      ],
      [
        'a valid and an invalid one',
        quotaCall(config('dev', { cpus: { value: 1 } }), config('eng', { cpus: { value: -1 } })),
        /non-negative/,
      ],
      ['a missing body', JSON.stringify({ type: 'UPDATE_QUOTA' }), /Expecting 'update_quota' to be present/],
    ];
    for (const [what, body, message] of cases) {
      const answer = await post(url, body);
      assert.equal(answer.status, 400, `${what}: ${answer.text}`);
      assert.match(answer.text, message, what);
    }
    assert.deepEqual(await client.call('GET_QUOTA'), { status: { configs: [] } }, 'nothing was applied');

    await client.call('UPDATE_QUOTA', {
      update_quota: {
        quota_configs: [config('dev', { cpus: { value: 1 }, mem: { value: 256 } }, { cpus: { value: 2 } })],
      },
    });
    const forced = await post(
      url,
      JSON.stringify({
        type: 'UPDATE_QUOTA',
        update_quota: { force: true, quota_configs: [config('big', { cpus: { value: 100 } })] },
      }),
    );
    assert.equal(forced.status, 200, forced.text);
    assert.deepEqual(await client.call('GET_QUOTA'), {
      status: {
        configs: [
          { role: 'big', guarantees: { cpus: { value: 100 } }, limits: {} },
          {
            role: 'dev',
            guarantees: { cpus: { value: 1 }, mem: { value: 256 } },
            limits: { cpus: { value: 2 } },
          },
        ],
      },
    });
    // Empty guarantees and limits remove a quota.
    await client.call('UPDATE_QUOTA', { update_quota: { quota_configs: [config('big', {})] } });
    const roles = (await client.call('GET_ROLES'))['roles'] as Json[];
    assert.equal(
      roles.find((r) => r['name'] === 'big'),
      undefined,
    );
    assert.deepEqual((roles.find((r) => r['name'] === 'dev')?.['quota'] as Json)['limits'], {
      cpus: { value: 2 },
    });
  });

  it('answers malformed calls with 4xx naming the problem, and unimplemented ones with 501', async () => {
    const url = `${master.url}/api/v1`;
    const get = await fetch(url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await post(url, '{"type":"GET_HEALTH"}', { 'Content-Type': 'text/plain' })).status, 415);
    const notJson = await post(url, '{"type":');
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /Failed to parse Call as JSON/);
    const unknown = await post(url, '{"type":"GET_EVERYTHING"}');
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /Unknown call type 'GET_EVERYTHING'/);
    const noType = await post(url, '{}');
    assert.equal(noType.status, 400);
    assert.match(noType.text, /type/);
    const reserve = await post(url, '{"type":"RESERVE_RESOURCES"}');
    assert.equal(reserve.status, 501);
    assert.match(reserve.text, /RESERVE_RESOURCES/);
    assert.equal((await post(`${master.url}/master/api/v1`, '{"type":"GET_HEALTH"}')).status, 200);
  });

  it("answers the agent's /api/v1 read calls", async () => {
    const agentClient = new OperatorClient(agent.url);
    assert.deepEqual(await agentClient.call('GET_HEALTH'), { healthy: true });
    const info = (await agentClient.call('GET_AGENT'))['agent_info'] as Json;
    assert.equal(info['port'], agent.port);
    const tasks = await agentClient.call('GET_TASKS');
    const launched = (tasks['launched_tasks'] as Json[]).map((t) => (t['task_id'] as Json)['value']);
    assert.deepEqual(launched, ['long-1']);
    const containers = (await agentClient.call('GET_CONTAINERS'))['containers'] as Json[];
    assert.equal(containers.length, 1);
    assert.deepEqual(containers[0]?.['executor_id'], { value: 'long-1' });
    const frameworks = (await agentClient.call('GET_FRAMEWORKS'))['frameworks'] as Json[];
    assert.deepEqual((frameworks[0]?.['framework_info'] as Json)['id'], { value: frameworkId });
    const state = await agentClient.call('GET_STATE');
    assert.deepEqual(Object.keys(state).sort(), ['get_executors', 'get_frameworks', 'get_tasks']);

    // The sandbox of done-1, found through the legacy /state, listed and read over the v1 API.
    const legacy = (await (await fetch(`${agent.url}/state`)).json()) as {
      frameworks: {
        completed_executors: { id: string; directory: string }[];
        executors: { id: string; directory: string }[];
      }[];
    };
    const directory = legacy.frameworks
      .flatMap((f) => [...f.executors, ...f.completed_executors])
      .find((e) => e.id === 'done-1')?.directory;
    assert.ok(directory !== undefined);
    const files = (await agentClient.call('LIST_FILES', { list_files: { path: directory } }))[
      'file_infos'
    ] as Json[];
    assert.ok(files.some((f) => f['path'] === `${directory}/stdout`));
    const read = await waitFor(
      async () => {
        const answer = await agentClient.call('READ_FILE', {
          read_file: { path: `${directory}/stdout`, offset: 0 },
        });
        return Buffer.from(String(answer['data']), 'base64').toString() === 'out-done\n' && answer;
      },
      DEFAULT_WAIT_MS,
      'stdout of done-1',
    );
    assert.equal(read['size'], 'out-done\n'.length);

    const unsupported = await post(`${agent.url}/api/v1`, '{"type":"LAUNCH_CONTAINER"}');
    assert.equal(unsupported.status, 400);
    assert.match(unsupported.text, /LAUNCH_CONTAINER/);
    const cors = await fetch(
      `${agent.url}/files/read?path=${encodeURIComponent(`${directory}/stdout`)}&offset=0`,
    );
    assert.equal(cors.headers.get('access-control-allow-origin'), '*');
  });

  it('serves the web UI at / with its scripts, under a restrictive content security policy', async () => {
    const page = await fetch(`${master.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<main/);
    const script = await fetch(`${master.url}/webui/js/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${master.url}/webui/nope.js`)).status, 404);
  });

  // Last: it leaves the framework filtering the only agent for an hour.
  it('counts the agents a framework filters in offer_stats', async () => {
    const fw = scheduler.current!;
    const filtered = async (): Promise<number | undefined> => {
      const frameworks = (await client.call('GET_FRAMEWORKS'))['frameworks'] as Json[];
      const mine = frameworks.find(
        (f) => ((f['framework_info'] as Json)['id'] as Json)['value'] === frameworkId,
      );
      return (mine?.['offer_stats'] as Record<string, number> | undefined)?.['filtered_agents'];
    };
    const offers = await fw.nextOffers();
    await fw.client.decline(
      offers.map((o) => o.id),
      { refuse_seconds: 3600 },
    );
    await waitFor(async () => (await filtered()) === 1, 10_000, 'the declined agent counted as filtered');
  });
});
