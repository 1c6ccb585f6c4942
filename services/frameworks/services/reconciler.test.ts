import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  afterFailure,
  type AppPlanInput,
  planApp,
  type TaskView,
  type UpgradeStrategy,
} from './reconciler.js';

const task = (
  id: string,
  version: number,
  phase: TaskView['phase'] = 'running',
  healthy: boolean | undefined = phase === 'running' ? true : undefined,
): TaskView => ({
  taskId: id,
  version,
  phase,
  healthy,
  launchedAtMs: Number(id.replace(/\D/g, '')),
});

const input = (over: Partial<AppPlanInput>): AppPlanInput => ({
  instances: 3,
  version: 1,
  strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  tasks: [],
  backoffUntilMs: undefined,
  nowMs: 0,
  ...over,
});

describe('planApp', () => {
  it('launches the missing instances of a new app', () => {
    const plan = planApp(input({}));
    assert.equal(plan.launch, 3);
    assert.deepEqual(plan.kill, []);
    assert.equal(plan.waiting, 'offers');
    assert.equal(plan.deploying, true);
  });

  it('is settled with N healthy current tasks', () => {
    const plan = planApp(input({ tasks: [task('t1', 1), task('t2', 1), task('t3', 1)] }));
    assert.deepEqual(
      { launch: plan.launch, kill: plan.kill, deploying: plan.deploying, waiting: plan.waiting },
      {
        launch: 0,
        kill: [],
        deploying: false,
        waiting: undefined,
      },
    );
  });

  it('replaces a task that ended, unless backing off', () => {
    const tasks = [task('t1', 1), task('t2', 1)];
    assert.equal(planApp(input({ tasks })).launch, 1);
    const held = planApp(input({ tasks, backoffUntilMs: 5000, nowMs: 1000 }));
    assert.equal(held.launch, 0);
    assert.equal(held.waiting, 'backoff');
    assert.equal(planApp(input({ tasks, backoffUntilMs: 5000, nowMs: 5000 })).launch, 1);
  });

  it('scales down the unhealthy first, then the newest', () => {
    const tasks = [task('t1', 1), task('t2', 1), task('t3', 1), task('t4', 1, 'staging'), task('t5', 1)];
    const plan = planApp(input({ tasks, instances: 2 }));
    assert.deepEqual(plan.kill, [
      { taskId: 't4', reason: 'scale-down' },
      { taskId: 't5', reason: 'scale-down' },
      { taskId: 't3', reason: 'scale-down' },
    ]);
  });

  it('scales to zero and back', () => {
    const tasks = [task('t1', 1), task('t2', 1)];
    assert.equal(planApp(input({ tasks, instances: 0 })).kill.length, 2);
    assert.equal(planApp(input({ tasks: [], instances: 0 })).deploying, false);
    assert.equal(planApp(input({ tasks: [], instances: 2 })).launch, 2);
  });

  it('kills old unhealthy tasks at once: they hold no capacity', () => {
    // min 1 → minHealthy 3; t3 (old, staging) costs nothing; t1/t2 must stay.
    const tasks = [task('t1', 1), task('t2', 1), task('t3', 1, 'staging')];
    const plan = planApp(input({ tasks, version: 2 }));
    assert.deepEqual(plan.kill, [{ taskId: 't3', reason: 'upgrade' }]);
    // maxTotal = 3 + 3 = 6; alive = 3 → launch all 3 new.
    assert.equal(plan.launch, 3);
  });

  it('waits for tasks whose state or health is not known yet instead of killing them', () => {
    // After a failover: old tasks adopted, one not reconciled yet, one running but not yet checked.
    const tasks = [
      task('t1', 1, 'unknown'),
      task('t2', 1, 'running', undefined),
      task('t3', 1, 'running', false),
    ];
    const plan = planApp(
      input({ tasks, version: 2, strategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }),
    );
    assert.deepEqual(plan.kill, [{ taskId: 't3', reason: 'upgrade' }]);
  });

  it('breaks the min 1 / over 0 deadlock with one extra task', () => {
    // minHealthy 3, maxTotal max(3, 3+1) = 4: one new task at a time.
    const tasks = [task('t1', 1), task('t2', 1), task('t3', 1)];
    const plan = planApp(
      input({ tasks, version: 2, strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } }),
    );
    assert.equal(plan.maxTotal, 4);
    assert.equal(plan.launch, 1);
    assert.deepEqual(plan.kill, []);
  });
});

/**
 * A rolling upgrade v1 → v2 in a simulated cluster: kills take effect one step later, launched
 * tasks run one step after launch and turn healthy the step after. At every step the healthy
 * count must stay ≥ minHealthy and the live+killing count ≤ maxTotal; the upgrade must finish.
 */
function simulateUpgrade(
  instances: number,
  strategy: UpgradeStrategy,
): { minSeen: number; maxSeen: number; steps: number } {
  let tasks: (TaskView & { age: number })[] = Array.from({ length: instances }, (_, i) => ({
    ...task(`t${i}`, 1),
    age: 9,
  }));
  let next = instances;
  let minSeen = Infinity;
  let maxSeen = 0;
  for (let step = 1; step < 100; step++) {
    const plan = planApp({ instances, version: 2, strategy, tasks, backoffUntilMs: undefined, nowMs: step });
    const killed = new Set(plan.kill.map((k) => k.taskId));
    tasks = tasks
      .filter((t) => t.phase !== 'killing')
      .map((t) => (killed.has(t.taskId) ? { ...t, phase: 'killing' as const } : t))
      .map((t) =>
        t.phase === 'killing'
          ? t
          : {
              ...t,
              age: t.age + 1,
              phase: t.age + 1 >= 1 ? ('running' as const) : t.phase,
              // Running but unchecked for a step, then healthy.
              healthy: t.age + 1 >= 2 ? true : undefined,
            },
      );
    for (let i = 0; i < plan.launch; i++) tasks.push({ ...task(`t${next++}`, 2, 'staging'), age: 0 });
    const healthy = tasks.filter((t) => t.phase === 'running' && t.healthy === true).length;
    minSeen = Math.min(minSeen, healthy);
    maxSeen = Math.max(maxSeen, tasks.length);
    const done = tasks.length === instances && tasks.every((t) => t.version === 2 && t.healthy === true);
    if (done) return { minSeen, maxSeen, steps: step };
  }
  throw new Error('the upgrade did not finish');
}

describe('rolling upgrade', () => {
  const strategies: [number, UpgradeStrategy][] = [
    [3, { minimumHealthCapacity: 1, maximumOverCapacity: 1 }],
    [3, { minimumHealthCapacity: 1, maximumOverCapacity: 0 }],
    [4, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }],
    [5, { minimumHealthCapacity: 0.6, maximumOverCapacity: 0.2 }],
    [3, { minimumHealthCapacity: 0, maximumOverCapacity: 0 }],
    [10, { minimumHealthCapacity: 0.9, maximumOverCapacity: 0.1 }],
  ];
  for (const [n, strategy] of strategies) {
    it(`never drops below minimumHealthCapacity (${n} instances, ${JSON.stringify(strategy)})`, () => {
      const result = simulateUpgrade(n, strategy);
      const minHealthy = Math.ceil(n * strategy.minimumHealthCapacity);
      const maxTotal = Math.max(n + Math.floor(n * strategy.maximumOverCapacity), minHealthy + 1);
      assert.ok(result.minSeen >= minHealthy, `healthy dropped to ${result.minSeen} < ${minHealthy}`);
      assert.ok(result.maxSeen <= maxTotal, `${result.maxSeen} tasks > ${maxTotal}`);
    });
  }
});

describe('afterFailure', () => {
  it('grows the delay by the factor and caps it', () => {
    const policy = { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 5 };
    // 1 s, 2 s, 4 s, then capped at 5 s.
    const first = afterFailure(undefined, policy, 0);
    const second = afterFailure(first, policy, 10_000);
    const third = afterFailure(second, policy, 20_000);
    const fourth = afterFailure(third, policy, 30_000);
    assert.deepEqual(
      [first, second, third, fourth],
      [
        { failures: 1, untilMs: 1000 },
        { failures: 2, untilMs: 12_000 },
        { failures: 3, untilMs: 24_000 },
        { failures: 4, untilMs: 35_000 },
      ],
    );
  });
});
