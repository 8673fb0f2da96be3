import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../shared/versions.ts';
import { type KubeServer, serviceAccountKubeconfig } from './kube.ts';
import { cacheDir } from './paths.ts';
import { makeCa, signCert } from './pki.ts';
import { freePort } from './ports.ts';
import { type Launched, launch, runBuildScript, waitUntilReady } from './process.ts';

const run = promisify(execFile);
const kedaDir = join(repoRoot, 'devkit/keda');

/** The KEDA module version devkit/keda/wrapper/go.mod requires. */
export function kedaModuleVersion(goMod = readFileSync(join(kedaDir, 'wrapper/go.mod'), 'utf8')): string {
  const match = /^\s*github\.com\/kedacore\/keda\/v2 (v\S+)/m.exec(goMod);
  if (!match?.[1]) throw new Error('devkit/keda/wrapper/go.mod requires no github.com/kedacore/keda/v2 version');
  return match[1];
}

export interface KedaBinaries {
  version: string;
  operator: string;
  adapter: string;
  /** KEDA's CRDs from the same module (config/crd/bases). */
  crds: string;
}

/** KEDA's operator and metrics adapter, built from the Go module proxy by devkit/keda/build.sh on first use. */
export async function kedaBinaries(): Promise<KedaBinaries> {
  const version = kedaModuleVersion();
  const dir = cacheDir('keda', version);
  const binaries = { version, operator: join(dir, 'keda'), adapter: join(dir, 'keda-adapter'), crds: join(dir, 'crds') };
  if (existsSync(binaries.operator) && existsSync(binaries.adapter) && existsSync(binaries.crds)) return binaries;
  process.stderr.write(`[infra] building KEDA ${version} from the Go module proxy (cold: ~15 min on 2 cores)\n`);
  await runBuildScript('devkit/keda/build.sh', [], { EVENTIDE_KEDA_DIR: dir }, `KEDA ${version}`);
  return binaries;
}

/**
 * An address of this machine the API server can be given as an endpoint: Endpoints and
 * EndpointSlices refuse loopback addresses, so the adapter listens on the first external IPv4.
 */
export function endpointAddress(interfaces = networkInterfaces()): string {
  for (const list of Object.values(interfaces))
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  throw new Error('KEDA: this machine has no non-loopback IPv4 address for the metrics adapter’s Endpoints');
}

export interface KedaServer {
  readonly version: string;
  /** The operator's and the adapter's pids (undefined when not running), for CPU accounting. */
  pid(process: 'operator' | 'adapter'): number | undefined;
  dispose(): Promise<void>;
}

const namespace = 'keda';
const adapterService = 'keda-metrics-apiserver';

/** One CA and one certificate for both ends of KEDA's gRPC link and the adapter's serving port. */
async function makeCerts(dir: string, host: string): Promise<void> {
  await makeCa(dir, { name: 'ca', subject: '/CN=keda-ca' });
  await signCert(dir, {
    ca: 'ca',
    name: 'tls',
    subject: '/CN=keda',
    extensions: `subjectAltName=IP:127.0.0.1,IP:${host},DNS:${adapterService}.${namespace}.svc,DNS:keda-operator.${namespace}.svc\nextendedKeyUsage=serverAuth,clientAuth\n`,
  });
}

/** The objects a KEDA install makes for its adapter, pointing at a process on this machine. */
export function adapterObjects({ host, port, caBundle }: { host: string; port: number; caBundle: string }): object[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: adapterService, namespace },
      spec: { ports: [{ name: 'https', port: 443, targetPort: port }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: adapterService, namespace },
      subsets: [{ addresses: [{ ip: host }], ports: [{ name: 'https', port }] }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.external.metrics.k8s.io' },
      spec: {
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        service: { name: adapterService, namespace, port: 443 },
        caBundle,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

/**
 * Runs KEDA against `kube` as its Helm chart does on a cluster: its CRDs, its operator (which
 * polls the scalers and owns the HPAs) and its metrics adapter registered as the APIService for
 * external.metrics.k8s.io, so the controller-manager's HPA controller reads KEDA's metrics through
 * the aggregation layer. `kube` must be started with `controlPlane` and `aggregationLayer`.
 */
export async function startKeda(kube: KubeServer, { timeoutMs = 120_000 }: { timeoutMs?: number } = {}): Promise<KedaServer> {
  const bin = await kedaBinaries();
  const home = mkdtempSync(join(tmpdir(), 'eventide-keda-'));
  const certs = join(home, 'certs');
  mkdirSync(certs);
  const host = endpointAddress();
  const [grpcPort, adapterPort, adapterMetricsPort, probePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const kubectl = (...args: string[]) => run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { timeout: 60_000 });
  const processes: Launched[] = [];
  const running = (p: Launched | undefined) => (p && !p.hasExited() ? p.pid : undefined);
  const server: KedaServer = {
    version: bin.version,
    pid: (which) => running(processes[which === 'operator' ? 0 : 1]),
    async dispose() {
      await Promise.all(processes.map((p) => p.stop()));
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await makeCerts(certs, host);
    await kubectl('apply', '--server-side', '-f', bin.crds);
    // `kubectl wait` fails at once on a CRD whose status has no conditions yet: ask again.
    const established = () => kubectl('wait', '--for=condition=Established', 'crd/scaledobjects.keda.sh', '--timeout=5s');
    for (let tries = 1; ; tries++) {
      try {
        await established();
        break;
      } catch (error) {
        if (tries >= 12) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const objects = adapterObjects({ host, port: adapterPort, caBundle: readFileSync(join(certs, 'ca.crt')).toString('base64') });
    writeFileSync(join(home, 'adapter.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    await kubectl('apply', '--server-side', '-f', join(home, 'adapter.json'));

    // Each with its own ServiceAccount, as the chart installs them (bound to cluster-admin here, not
    // to the chart's narrower roles: what is measured is what they ask, not what they may).
    const identity = (name: string) => serviceAccountKubeconfig(kube, { namespace, name });
    const [operatorConfig, adapterConfig] = [await identity('keda-operator'), await identity(adapterService)];
    // As the chart's Deployments set them: every namespace watched, KEDA's own objects in "keda".
    const env = { ...process.env, WATCH_NAMESPACE: '', POD_NAMESPACE: namespace, KEDA_CLUSTER_OBJECT_NAMESPACE: namespace };
    const operator = launch({
      name: `keda-operator ${bin.version}`,
      command: bin.operator,
      args: [
        '--leader-elect=false',
        '--metrics-bind-address=0',
        `--health-probe-bind-address=127.0.0.1:${probePort}`,
        `--metrics-service-bind-address=127.0.0.1:${grpcPort}`,
        `--cert-dir=${certs}`,
        `--ca-dir=${certs}`,
        '--enable-cert-rotation=false',
        '--enable-webhook-patching=false',
        '--enable-apiservice-patching=false',
      ],
      env: { ...env, KUBECONFIG: operatorConfig },
      logFile: join(home, 'operator.log'),
    });
    processes.push(operator);
    await waitUntilReady(operator, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).ok, {
      timeoutMs,
      what: 'ready',
    });
    const adapter = launch({
      name: `keda-metrics-apiserver ${bin.version}`,
      command: bin.adapter,
      args: [
        `--bind-address=${host}`,
        `--secure-port=${adapterPort}`,
        `--port=${adapterMetricsPort}`,
        `--cert-dir=${certs}`,
        `--tls-cert-file=${join(certs, 'tls.crt')}`,
        `--tls-private-key-file=${join(certs, 'tls.key')}`,
        `--metrics-service-address=127.0.0.1:${grpcPort}`,
        `--lister-kubeconfig=${adapterConfig}`,
        `--authentication-kubeconfig=${adapterConfig}`,
        `--authorization-kubeconfig=${adapterConfig}`,
      ],
      env: { ...env, KUBECONFIG: adapterConfig },
      logFile: join(home, 'adapter.log'),
    });
    processes.push(adapter);
    // Available once the aggregator reaches the adapter through the Service's endpoints.
    await waitUntilReady(
      adapter,
      async () => {
        await kubectl('get', '--raw', '/apis/external.metrics.k8s.io/v1beta1');
        return true;
      },
      { timeoutMs, what: 'serving external.metrics.k8s.io through the API server' },
    );
  } catch (error) {
    await server.dispose().catch(() => {});
    throw error;
  }
  return server;
}
