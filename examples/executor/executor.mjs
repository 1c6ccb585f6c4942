#!/usr/bin/env node
// @ts-check
/**
 * A small custom executor speaking the Mesos v1 executor HTTP API to a meso (or Mesos) agent.
 *
 * It reads the environment the agent gives executors (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID,
 * MESOS_EXECUTOR_ID, MESOS_CHECKPOINT, ...), SUBSCRIBEs, and for every task it is sent (LAUNCH or
 * LAUNCH_GROUP) runs the task's shell command as a child process, reporting TASK_RUNNING and then
 * TASK_FINISHED, TASK_FAILED (with the exit code) or TASK_KILLED. It honours KILL (SIGTERM, then
 * SIGKILL after the kill policy's grace), answers each framework MESSAGE with `echo: <data>`, and on
 * SHUTDOWN kills its tasks and exits. Updates are resent until the agent ACKNOWLEDGEs them, also
 * across a lost connection when the framework checkpoints. It exits once it has been idle (no live
 * task, nothing unacknowledged) for IDLE_EXIT_MS.
 *
 * A task given to an executor names no CommandInfo (the master allows a command or an executor,
 * not both), so the shell command travels in `TaskInfo.data`, base64-encoded as Mesos JSON
 * carries bytes. Plain Node (>= 20), no dependencies, so it runs wherever `node` does:
 *   {"task_id": {"value": "t1"}, "data": "<base64 of: echo hello>", ...,
 *    "executor": {"type": "CUSTOM", "executor_id": {"value": "ex-1"},
 *                 "command": {"value": "node examples/executor/executor.mjs"}}}
 */
/* global fetch -- Node's own since v18 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const IDLE_EXIT_MS = 2000;
const DEFAULT_KILL_GRACE_MS = 3000;
const RETRY_MIN_MS = 250;

const env = process.env;
const endpoint = required('MESOS_AGENT_ENDPOINT');
const frameworkId = { value: required('MESOS_FRAMEWORK_ID') };
const executorId = { value: required('MESOS_EXECUTOR_ID') };
const checkpoint = env.MESOS_CHECKPOINT === '1';
const backoffMaxMs = durationMs(env.MESOS_SUBSCRIPTION_BACKOFF_MAX) ?? 2000;
const recoveryTimeoutMs = durationMs(env.MESOS_RECOVERY_TIMEOUT) ?? 15 * 60_000;
const url = `http://${endpoint}/api/v1/executor`;

/** @typedef {{ value: string }} Id */
/** @typedef {{ task_id: Id, name: string, data?: string, kill_policy?: KillPolicy }} TaskInfo */
/** @typedef {{ grace_period?: { nanoseconds: number } }} KillPolicy */
/** @typedef {{ info: TaskInfo, child: import('node:child_process').ChildProcess | undefined, killed: boolean, done: boolean }} Task */

/** @type {Map<string, Task>} */
const tasks = new Map();
/** Updates sent and not yet acknowledged, by uuid: resent after a reconnection. @type {Map<string, object>} */
const unacknowledged = new Map();
let shuttingDown = false;
/** Until the first SUBSCRIBED, failures are retried whatever MESOS_CHECKPOINT says. */
let subscribedOnce = false;
/** @type {NodeJS.Timeout | undefined} */
let idleTimer;

function log(message) {
  process.stderr.write(`executor ${executorId.value}: ${message}\n`);
}

function required(name) {
  const value = env[name];
  if (value === undefined || value === '') {
    log(`${name} is not set; run me as a Mesos executor`);
    process.exit(2);
  }
  return value;
}

/** Mesos durations (`2secs`, `15mins`, `500ms`) in milliseconds. */
function durationMs(text) {
  const match = /^(\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/.exec(text ?? '');
  if (match === null) return undefined;
  const unit = { ns: 1e-6, us: 1e-3, ms: 1, secs: 1e3, mins: 6e4, hrs: 3.6e6, days: 8.64e7, weeks: 6.048e8 };
  return Number(match[1]) * unit[/** @type {keyof typeof unit} */ (match[2])];
}

async function call(body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ executor_id: executorId, framework_id: frameworkId, ...body }),
  });
  return res;
}

/** Sends an update; it stays in `unacknowledged` (and is resent on reconnection) until ACKNOWLEDGED. */
async function update(task, state, message) {
  const status = {
    task_id: task.info.task_id,
    state,
    source: 'SOURCE_EXECUTOR',
    executor_id: executorId,
    timestamp: Date.now() / 1000,
    uuid: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64'),
    ...(message !== undefined && { message }),
  };
  unacknowledged.set(status.uuid, status);
  await send(status);
}

async function send(status) {
  try {
    const res = await call({ type: 'UPDATE', update: { status } });
    if (res.status !== 202) log(`update refused with ${res.status}: ${await res.text()}`);
  } catch (err) {
    log(`update not sent (resent after reconnecting): ${String(err)}`);
  }
}

function launch(info) {
  if (tasks.has(info.task_id.value)) return;
  const command = Buffer.from(info.data ?? '', 'base64').toString('utf8');
  const sandbox = env.MESOS_SANDBOX;
  const child = spawn('/bin/sh', ['-c', command === '' ? 'true' : command], {
    cwd: sandbox !== undefined && existsSync(sandbox) ? sandbox : process.cwd(),
    env: { ...env, MESOS_TASK_ID: info.task_id.value },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  /** @type {Task} */
  const task = { info, child, killed: false, done: false };
  tasks.set(info.task_id.value, task);
  log(`task ${info.task_id.value} started`);
  void update(task, 'TASK_RUNNING');
  child.once('error', (err) => finish(task, 'TASK_FAILED', `Failed to start: ${err.message}`));
  child.once('exit', (code, signal) => {
    if (task.killed) finish(task, 'TASK_KILLED', `Task killed (${signal ?? `exit ${code}`})`);
    else if (code === 0) finish(task, 'TASK_FINISHED', 'Command exited with status 0');
    else
      finish(
        task,
        'TASK_FAILED',
        `Command exited with ${code === null ? `signal ${signal}` : `status ${code}`}`,
      );
  });
}

function finish(task, state, message) {
  if (task.done) return;
  task.done = true;
  task.child = undefined;
  log(`task ${task.info.task_id.value}: ${state} (${message})`);
  void update(task, state, message).then(checkIdle);
}

/** @param {Task} task @param {KillPolicy | undefined} policy */
function kill(task, policy) {
  const child = task.child;
  if (child === undefined || task.done) return;
  task.killed = true;
  const nanos = policy?.grace_period?.nanoseconds ?? task.info.kill_policy?.grace_period?.nanoseconds;
  const graceMs = nanos === undefined ? DEFAULT_KILL_GRACE_MS : nanos / 1e6;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.once('exit', () => clearTimeout(timer));
}

/** Exits once nothing is live or unacknowledged for IDLE_EXIT_MS (at once after SHUTDOWN). */
function checkIdle() {
  clearTimeout(idleTimer);
  const live = [...tasks.values()].some((task) => !task.done);
  if (live || unacknowledged.size > 0) return;
  idleTimer = setTimeout(
    () => {
      log('idle: exiting');
      process.exit(0);
    },
    shuttingDown ? 0 : IDLE_EXIT_MS,
  );
}

function onEvent(event) {
  switch (event.type) {
    case 'SUBSCRIBED':
      subscribedOnce = true;
      log(`subscribed to agent ${event.subscribed.agent_info.id?.value ?? '?'}`);
      for (const status of unacknowledged.values()) void send(status);
      break;
    case 'LAUNCH':
      launch(event.launch.task);
      break;
    case 'LAUNCH_GROUP':
      for (const info of event.launch_group.task_group.tasks) launch(info);
      break;
    case 'KILL': {
      const task = tasks.get(event.kill.task_id.value);
      if (task !== undefined) kill(task, event.kill.kill_policy);
      break;
    }
    case 'ACKNOWLEDGED':
      unacknowledged.delete(event.acknowledged.uuid);
      checkIdle();
      break;
    case 'MESSAGE': {
      const text = Buffer.from(event.message.data, 'base64').toString('utf8');
      log(`message from the framework: ${text}`);
      const data = Buffer.from(`echo: ${text}`).toString('base64');
      void call({ type: 'MESSAGE', message: { data } }).catch((err) =>
        log(`message not sent: ${String(err)}`),
      );
      break;
    }
    case 'SHUTDOWN':
      shuttingDown = true;
      for (const task of tasks.values()) kill(task, { grace_period: { nanoseconds: 1e9 } });
      checkIdle();
      break;
    default:
      break; // HEARTBEAT, and anything newer
  }
}

/** One SUBSCRIBE: reads the RecordIO event stream until the agent closes it. */
async function subscribeOnce() {
  const res = await call({
    type: 'SUBSCRIBE',
    subscribe: {
      unacknowledged_tasks: [...tasks.values()].filter((task) => !task.done).map((task) => task.info),
      unacknowledged_updates: [...unacknowledged.values()].map((status) => ({ status })),
    },
  });
  if (res.status >= 400 && res.status < 500) {
    // The agent does not know this executor (any more): nothing to wait for.
    log(`SUBSCRIBE refused with ${res.status}: ${await res.text()}; exiting`);
    process.exit(1);
  }
  if (res.status !== 200 || res.body === null)
    throw new Error(`SUBSCRIBE answered ${res.status}: ${await res.text()}`);
  let buffer = Buffer.alloc(0);
  for await (const chunk of res.body) {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const newline = buffer.indexOf(0x0a);
      if (newline < 0) break;
      const length = Number(buffer.subarray(0, newline).toString('ascii'));
      if (buffer.length < newline + 1 + length) break;
      onEvent(JSON.parse(buffer.subarray(newline + 1, newline + 1 + length).toString('utf8')));
      buffer = buffer.subarray(newline + 1 + length);
    }
  }
}

/** Subscribes; with checkpointing, keeps trying (with backoff) for MESOS_RECOVERY_TIMEOUT after a loss. */
async function main() {
  let lostAtMs;
  let delayMs = RETRY_MIN_MS;
  for (;;) {
    try {
      await subscribeOnce();
      log('agent closed the stream');
      lostAtMs = undefined;
      delayMs = RETRY_MIN_MS;
    } catch (err) {
      log(`subscription failed: ${String(err)}`);
    }
    if (subscribedOnce && !checkpoint) {
      log('lost the agent and the framework does not checkpoint: exiting');
      for (const task of tasks.values()) task.child?.kill('SIGKILL');
      process.exit(1);
    }
    lostAtMs ??= Date.now();
    if (Date.now() - lostAtMs > recoveryTimeoutMs) {
      log('agent did not come back within the recovery timeout: exiting');
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, backoffMaxMs);
  }
}

void main();
