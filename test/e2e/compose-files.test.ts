/**
 * The compose files and what they mount, checked without starting anything: both files are valid
 * for every compose tool installed (`docker compose` v2, Debian's `docker-compose` 1.29), agents
 * can be scaled, every build target exists in images/Dockerfile, Prometheus scrapes every daemon
 * (and `promtool` accepts its config), Grafana's provisioning points at that Prometheus and at
 * the dashboards directory. test/e2e/compose-cluster.test.ts runs the full file for real.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { FULL_COMPOSE_FILE, LAPTOP_COMPOSE_FILE, REPO_ROOT, run } from './helpers/compose.js';

interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly target: string };
  readonly hostname?: string;
  readonly container_name?: string;
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly environment?: Readonly<Record<string, string | number>>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly profiles?: readonly string[];
}

interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
}

interface PrometheusConfig {
  readonly rule_files?: readonly string[];
  readonly scrape_configs: readonly {
    readonly job_name: string;
    readonly metrics_path?: string;
    readonly static_configs?: readonly { readonly targets: readonly string[] }[];
    readonly dns_sd_configs?: readonly { readonly names: readonly string[]; readonly port: number }[];
  }[];
}

const COMPOSE_DIR = join(REPO_ROOT, 'compose');
/** YAML 1.1 merge keys (`<<: *anchor`) as compose reads them. */
const readYaml = <T>(path: string): T => parse(readFileSync(path, 'utf8'), { merge: true }) as T;
const full = readYaml<ComposeFile>(FULL_COMPOSE_FILE);
const laptop = readYaml<ComposeFile>(LAPTOP_COMPOSE_FILE);
const services = (file: ComposeFile): [string, ComposeService][] => Object.entries(file.services);
const named = (file: ComposeFile, prefix: string): string[] =>
  Object.keys(file.services).filter((name) => new RegExp(`^${prefix}\\d*$`).test(name));

/** The compose tools installed here, each as a command line. */
async function installedComposeTools(): Promise<string[][]> {
  const tools: string[][] = [];
  for (const tool of [['docker', 'compose'], ['docker-compose']]) {
    const [command, ...args] = tool;
    try {
      await promisify(execFile)(command!, [...args, 'version']);
      tools.push(tool);
    } catch {
      // Not installed.
    }
  }
  return tools;
}

describe('compose files', () => {
  it('are valid for every installed compose tool', async (t) => {
    const tools = await installedComposeTools();
    if (tools.length === 0) {
      if (process.env.CI !== undefined) throw new Error('no compose tool installed');
      t.skip('no compose tool installed');
      return;
    }
    for (const [command, ...args] of tools) {
      for (const file of [FULL_COMPOSE_FILE, LAPTOP_COMPOSE_FILE]) {
        await run(command!, [
          ...args,
          '-p',
          'meso-config-check',
          '-f',
          file,
          '--profile',
          'tools',
          'config',
          '-q',
        ]);
      }
    }
  });

  it('let agents scale: no container name, hostname or host port of their own, the Docker socket mounted', () => {
    for (const file of [full, laptop]) {
      const agent = file.services.agent;
      assert.ok(agent, 'an agent service');
      assert.equal(agent.container_name, undefined);
      assert.equal(agent.hostname, undefined);
      assert.equal(agent.ports, undefined);
      assert.ok(agent.volumes?.some((v) => v.endsWith(':/var/run/docker.sock')));
    }
  });

  it('run three ZooKeeper servers and three masters that contend through all of them', () => {
    const zk = named(full, 'zk');
    assert.deepEqual(zk, ['zk1', 'zk2', 'zk3']);
    const zkUrl = `zk://${zk.map((z) => `${z}:2181`).join(',')}/meso`;
    const masters = named(full, 'master');
    assert.deepEqual(masters, ['master1', 'master2', 'master3']);
    for (const master of masters) assert.equal(full.services[master]?.environment?.MESO_ZK, zkUrl);
    assert.equal(full.services.agent?.environment?.MESO_MASTER, zkUrl);
    assert.equal(full.services.tools?.environment?.MESO_MASTER, zkUrl);
    assert.equal(
      full.services.gateway?.environment?.MESO_GATEWAY_MASTERS,
      masters.map((m) => `${m}:5050`).join(','),
    );
  });

  it('give every long-running service a health check, and build meso roles from existing targets', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'images', 'Dockerfile'), 'utf8');
    const targets = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    for (const file of [full, laptop]) {
      for (const [name, service] of services(file)) {
        if (service.build !== undefined) {
          assert.ok(targets.includes(service.build.target), `${name}: target ${service.build.target}`);
          assert.equal(service.image, `meso/${service.build.target}:\${MESO_TAG:-dev}`, name);
        }
        const oneOff = service.profiles?.includes('tools') === true;
        const imageHasOne = name === 'gateway' || name === 'grafana';
        if (!oneOff && !imageHasOne) assert.ok(service.healthcheck, `${name} has a health check`);
      }
    }
  });

  it('have Prometheus scrape /metrics of every master and agent replica, with the alerting rules', async (t) => {
    const config = readYaml<PrometheusConfig>(join(COMPOSE_DIR, 'prometheus', 'prometheus.yml'));
    const jobs = new Map(config.scrape_configs.map((job) => [job.job_name, job]));
    const masters = jobs.get('meso-master');
    assert.equal(masters?.metrics_path, '/metrics');
    assert.deepEqual(
      masters?.static_configs?.flatMap((c) => c.targets),
      named(full, 'master').map((m) => `${m}:5050`),
    );
    const agents = jobs.get('meso-agent');
    assert.equal(agents?.metrics_path, '/metrics');
    // Rule files are found beside the config, where compose mounts each of them.
    for (const rules of config.rule_files ?? []) {
      assert.ok(
        full.services.prometheus?.volumes?.includes(`./prometheus/${rules}:/etc/prometheus/${rules}:ro`),
        rules,
      );
    }
    // The service name resolves to every replica's address: scaling adds targets by itself.
    assert.deepEqual(agents?.dns_sd_configs, [
      { names: ['agent'], type: 'A', port: 5051, refresh_interval: '10s' },
    ]);
    // The framework schedulers serve /metrics on their REST ports.
    const frameworks = jobs.get('meso-frameworks');
    assert.equal(frameworks?.metrics_path, '/metrics');
    assert.deepEqual(
      frameworks?.static_configs?.flatMap((c) => c.targets),
      ['services:8090', 'jobs:8091'],
    );
    for (const name of ['services', 'jobs']) assert.ok(full.services[name], `compose runs ${name}`);
    try {
      await promisify(execFile)('promtool', ['--version']);
    } catch {
      if (process.env.CI !== undefined) throw new Error('promtool is missing (.ci/install-prometheus.sh)');
      t.diagnostic('promtool is not installed: config not checked by it');
      return;
    }
    await run('promtool', ['check', 'config', join(COMPOSE_DIR, 'prometheus', 'prometheus.yml')]);
  });

  it("provision Grafana with that Prometheus and the dashboards directory's dashboards", () => {
    const datasources = readYaml<{ datasources: { url: string; isDefault: boolean }[] }>(
      join(COMPOSE_DIR, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
    );
    assert.deepEqual(
      datasources.datasources.map((d) => [d.url, d.isDefault]),
      [['http://prometheus:9090', true]],
    );
    const providers = readYaml<{ providers: { options: { path: string } }[] }>(
      join(COMPOSE_DIR, 'grafana', 'provisioning', 'dashboards', 'meso.yml'),
    );
    const dashboardsPath = providers.providers[0]?.options.path;
    assert.ok(
      full.services.grafana?.volumes?.includes(`./grafana/dashboards:${dashboardsPath}:ro`),
      'the provider reads the mounted dashboards directory',
    );
    for (const file of readdirSync(join(COMPOSE_DIR, 'grafana', 'dashboards')).filter((f) =>
      f.endsWith('.json'),
    )) {
      const dashboard = JSON.parse(
        readFileSync(join(COMPOSE_DIR, 'grafana', 'dashboards', file), 'utf8'),
      ) as {
        title?: string;
      };
      assert.ok(dashboard.title, `${file} is a dashboard`);
    }
  });
});
