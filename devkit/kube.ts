import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, versions } from '../shared/versions.ts';
import { cacheDir } from './paths.ts';
import { makeCa, openssl, signCert } from './pki.ts';
import { freePort } from './ports.ts';
import { type Launched, launch, runBuildScript, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer } from './server.ts';

const run = promisify(execFile);
const kubeDir = join(repoRoot, 'devkit/kube');

export interface KubeServer extends LocalServer {
  /** Path of a kubeconfig for an admin (system:masters) user. */
  readonly kubeconfig: string;
  /** The kubectl that matches the server's version. */
  readonly kubectl: string;
  /** With `auditLog`: the JSON-lines audit log, one event per request (level Metadata). */
  readonly auditLog?: string;
}

export interface KubeBinaries {
  dir: string;
  kubeApiserver: string;
  etcd: string;
  kubectl: string;
  kubeControllerManager: string;
  kubeScheduler: string;
}

/** The module versions the wrappers pin; versions.json must name the same Kubernetes release. */
export function wrapperVersion(goMod: string, module: string): string {
  const match = new RegExp(`^require ${module.replaceAll('.', '\\.')} (v\\S+)$`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`no 'require ${module} v…' line in go.mod`);
  return match[1];
}

/**
 * kube-apiserver, etcd and kubectl built from the Go module proxy by devkit/kube/build.sh into
 * ~/.cache/eventide/kube/<version>/; the first build takes minutes, later calls return at once.
 */
export async function kubeBinaries(): Promise<KubeBinaries> {
  const k8s = wrapperVersion(readFileSync(join(kubeDir, 'wrapper/go.mod'), 'utf8'), 'k8s.io/kubernetes');
  if (k8s !== `v${versions.kubernetes}`) {
    throw new Error(
      `devkit/kube/wrapper/go.mod builds ${k8s} but versions.json says ${versions.kubernetes}; run devkit/kube/gen-wrapper.sh v${versions.kubernetes}`,
    );
  }
  const dir = cacheDir('kube', k8s);
  const binaries = {
    dir,
    kubeApiserver: join(dir, 'kube-apiserver'),
    etcd: join(dir, 'etcd'),
    kubectl: join(dir, 'kubectl'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
  };
  const { dir: _, ...files } = binaries;
  if (Object.values(files).every((file) => existsSync(file))) return binaries;

  process.stderr.write(
    `[infra] building kube-apiserver, etcd, kubectl, kube-controller-manager and kube-scheduler ${k8s} from the Go module proxy (cold: ~20 min on 2 cores)\n`,
  );
  await runBuildScript('devkit/kube/build.sh', ['--all'], { EVENTIDE_KUBE_DIR: dir }, `Kubernetes ${k8s}`);
  return binaries;
}

/** A CA, a serving certificate for 127.0.0.1, and the service-account signing key pair. */
async function makePki(dir: string): Promise<void> {
  await makeCa(dir, { name: 'ca', subject: '/CN=eventide-test-ca' });
  await signCert(dir, {
    ca: 'ca',
    name: 'apiserver',
    subject: '/CN=kube-apiserver',
    extensions: 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n',
  });
  await openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  await openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

/**
 * The aggregation layer's own CA and the client certificate the API server presents to extension
 * API servers (a metrics adapter), as kubeadm makes them: front-proxy-ca and front-proxy-client.
 */
async function makeFrontProxyPki(dir: string): Promise<void> {
  await makeCa(dir, { name: 'front-proxy-ca', subject: '/CN=front-proxy-ca' });
  await signCert(dir, {
    ca: 'front-proxy-ca',
    name: 'front-proxy-client',
    subject: '/CN=front-proxy-client',
    extensions: 'extendedKeyUsage=clientAuth\n',
  });
}

/** Every request at level Metadata (who, what, which user agent), written once when it completes. */
export const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
`;

function get(url: string, { ca, token }: { ca?: Buffer; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export function kubeconfigYaml({ server, caData, token }: { server: string; caData: string; token: string }): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: eventide-local
  cluster:
    server: ${server}
    certificate-authority-data: ${caData}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: eventide-local
  context:
    cluster: eventide-local
    user: admin
current-context: eventide-local
`;
}

export interface KubeOptions {
  timeoutMs?: number;
  /**
   * Also run kube-controller-manager and kube-scheduler (same build), so Deployments, ReplicaSets,
   * StatefulSets, garbage collection, service accounts and scheduling are Kubernetes' own. Without
   * them objects are stored and validated, and no Pod is ever created. Default false.
   */
  controlPlane?: boolean;
  /**
   * Configure the aggregation layer (front-proxy CA and client certificate, request-header flags,
   * routing to a Service's endpoints) so an extension API server such as KEDA's metrics adapter can
   * be registered with an APIService, as on a cluster. Default false.
   */
  aggregationLayer?: boolean;
  /** Write an audit log of every request (see `auditPolicy`), for counting who calls. Default false. */
  auditLog?: boolean;
}

/**
 * Starts etcd and a real kube-apiserver on free loopback ports (token auth, RBAC, a service-account
 * issuer), waits for /readyz, and writes an admin kubeconfig; with `controlPlane`, the controller
 * manager and scheduler too. KUBECONFIG uses an existing cluster instead.
 */
export async function startKubeApiServer({
  timeoutMs = 120_000,
  controlPlane = false,
  aggregationLayer = false,
  auditLog = false,
}: KubeOptions = {}): Promise<KubeServer> {
  const override = process.env.KUBECONFIG;
  if (override) return { ...externalServer('kube-apiserver', override), kubeconfig: override, kubectl: 'kubectl' };

  const bin = await kubeBinaries();
  const home = mkdtempSync(join(tmpdir(), 'eventide-kube-'));
  try {
    await makePki(home);
    if (aggregationLayer) await makeFrontProxyPki(home);
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const token = randomBytes(16).toString('hex');
  writeFileSync(join(home, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`);
  const ca = readFileSync(join(home, 'ca.crt'));
  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml({ server, caData: ca.toString('base64'), token }));

  const etcdArgs = [
    '--name=eventide',
    `--data-dir=${join(home, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=eventide=http://127.0.0.1:${etcdPeerPort}`,
    '--initial-cluster-state=new',
    // A test store: losing the last writes on a power cut is not what these tests are about.
    '--unsafe-no-fsync',
  ];
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--advertise-address=127.0.0.1',
    // No kubelets or endpoints to reconcile on a control plane without nodes.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${join(home, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(home, 'apiserver.key')}`,
    `--client-ca-file=${join(home, 'ca.crt')}`,
    `--token-auth-file=${join(home, 'tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(home, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(home, 'sa.key')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    `--cert-dir=${join(home, 'certs')}`,
  ];
  if (aggregationLayer)
    apiArgs.push(
      `--requestheader-client-ca-file=${join(home, 'front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${join(home, 'front-proxy-client.crt')}`,
      `--proxy-client-key-file=${join(home, 'front-proxy-client.key')}`,
      // No kube-proxy here: the aggregator dials the Service's endpoints, not its cluster IP.
      '--enable-aggregator-routing=true',
    );
  const auditLogFile = auditLog ? join(home, 'audit.log') : undefined;
  if (auditLogFile) {
    writeFileSync(join(home, 'audit-policy.yaml'), auditPolicy);
    apiArgs.push(`--audit-policy-file=${join(home, 'audit-policy.yaml')}`, `--audit-log-path=${auditLogFile}`, '--audit-log-format=json');
  }

  // Serving is off (--secure-port=0): nothing here scrapes their metrics, and no ports to pick.
  const controllerArgs = [
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--secure-port=0',
    `--root-ca-file=${join(home, 'ca.crt')}`,
    `--service-account-private-key-file=${join(home, 'sa.key')}`,
  ];
  const schedulerArgs = [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0'];

  let etcd: Launched | undefined;
  let apiserver: Launched | undefined;
  let controllers: Launched[] = [];
  const serviceAccountsWork = async () =>
    (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { ca, token })).status === 200;
  const kube: KubeServer = {
    name: 'kube-apiserver',
    endpoint: server,
    kubeconfig,
    kubectl: bin.kubectl,
    auditLog: auditLogFile,
    managed: true,
    pid: () => (apiserver && !apiserver.hasExited() ? apiserver.pid : undefined),
    async start() {
      if (!etcd || etcd.hasExited()) {
        etcd = launch({ name: 'etcd', command: bin.etcd, args: etcdArgs, logFile: join(home, 'etcd.log') });
        await waitUntilReady(etcd, async () => (await get(`${etcdUrl}/health`, {})).body.includes('"health":"true"'), {
          timeoutMs,
          what: `healthy at ${etcdUrl}`,
        });
      }
      if (!apiserver || apiserver.hasExited()) {
        apiserver = launch({
          name: `kube-apiserver ${versions.kubernetes}`,
          command: bin.kubeApiserver,
          args: apiArgs,
          logFile: join(home, 'apiserver.log'),
        });
        await waitUntilReady(apiserver, async () => (await get(`${server}/readyz`, { ca, token })).body === 'ok', {
          timeoutMs,
          what: `ready at ${server}`,
        });
      }
      if (controlPlane && (controllers.length === 0 || controllers.some((c) => c.hasExited()))) {
        await Promise.all(controllers.map((c) => c.stop()));
        const manager = launch({
          name: `kube-controller-manager ${versions.kubernetes}`,
          command: bin.kubeControllerManager,
          args: controllerArgs,
          logFile: join(home, 'controller-manager.log'),
        });
        const scheduler = launch({
          name: `kube-scheduler ${versions.kubernetes}`,
          command: bin.kubeScheduler,
          args: schedulerArgs,
          logFile: join(home, 'scheduler.log'),
        });
        controllers = [manager, scheduler];
        // The service-account controller creating default/default shows the controllers run.
        await waitUntilReady(manager, serviceAccountsWork, { timeoutMs, what: 'running controllers' });
        if (scheduler.hasExited()) await waitUntilReady(scheduler, async () => false, { timeoutMs: 1, what: 'running' });
      }
    },
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
      await apiserver?.stop();
      await etcd?.stop();
    },
    async kill() {
      await Promise.all(controllers.map((c) => c.kill()));
      await apiserver?.kill();
      await etcd?.kill();
    },
    async pause() {
      apiserver?.pause();
    },
    async resume() {
      apiserver?.resume();
    },
    async dispose() {
      await kube.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await kube.start();
  } catch (error) {
    await kube.stop();
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  return kube;
}

/**
 * A kubeconfig for its own ServiceAccount (created, bound to `clusterRole`), as a workload has on a
 * cluster: its requests carry its own name in the audit log instead of the shared admin's.
 */
export async function serviceAccountKubeconfig(
  kube: KubeServer,
  { namespace, name, clusterRole = 'cluster-admin' }: { namespace: string; name: string; clusterRole?: string },
): Promise<string> {
  const kubectl = (...args: string[]) => run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { timeout: 60_000 });
  const admin = readFileSync(kube.kubeconfig, 'utf8');
  const server = /^\s*server: (\S+)$/m.exec(admin)?.[1];
  const caData = /^\s*certificate-authority-data: (\S+)$/m.exec(admin)?.[1];
  if (!server || !caData) throw new Error(`${kube.kubeconfig}: no server or certificate-authority-data to copy`);
  await kubectl('create', 'namespace', namespace).catch(() => {}); // may exist
  await kubectl('create', 'serviceaccount', name, '-n', namespace);
  await kubectl(
    'create',
    'clusterrolebinding',
    `${namespace}-${name}`,
    `--clusterrole=${clusterRole}`,
    `--serviceaccount=${namespace}:${name}`,
  );
  const { stdout: token } = await kubectl('create', 'token', name, '-n', namespace, '--duration=24h');
  const file = `${kube.kubeconfig}-${namespace}-${name}`;
  writeFileSync(file, kubeconfigYaml({ server, caData, token: token.trim() }));
  return file;
}
