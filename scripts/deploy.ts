/**
 * `make deploy`, and the same steps in `make dev`: apply a profile's three chart files in order,
 * with a wait after each step for what the next one needs. What to wait for is read from the
 * chart, so a new service's Deployment and Topics are awaited without touching this file.
 *
 *   node scripts/deploy.ts [charts/kind] [--context NAME] [--image-ids DIR]
 *
 * kubectl is $KUBECTL or the one on PATH; every call names --context (default $KUBECONTEXT, else
 * the kubeconfig's current one). --image-ids: the directory where `make images` wrote each image's
 * ID (<image>.id).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { selector?: { matchLabels?: Record<string, string> }; template?: { spec?: { containers?: { image?: string }[] } } };
}

export function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

/** The Eventide image a workload runs ("catalog" of eventide/catalog:0.1.0), if any. */
const eventideImage = (m: Manifest) =>
  m.spec?.template?.spec?.containers?.map((c) => /(?:^|\/)eventide\/([^:@/]+)/.exec(c.image ?? '')?.[1]).find((name) => name !== undefined);
const isEventideImage = (m: Manifest) => eventideImage(m) !== undefined;

/** The Pod-template annotation that carries the ID of the image a Deployment's Pods were started from. */
export const imageIdAnnotation = 'eventide.dev/image-id';

/** A profile's three chart files, in the order `deploy` applies them (and `undeploy` removes them in reverse). */
export function chartFiles(chartDir: string) {
  return {
    crds: join(chartDir, '00-crds.yaml'),
    platform: join(chartDir, '10-platform.yaml'),
    resources: join(chartDir, '20-platform-resources.yaml'),
  };
}

/** The namespace the chart creates (its Namespace object in the platform file). */
export function chartNamespace(chartDir: string): string {
  const namespace = manifests(chartFiles(chartDir).platform).find((m) => m.kind === 'Namespace')?.metadata.name;
  if (!namespace) throw new Error(`${chartDir}: the platform file has no Namespace`);
  return namespace;
}

export interface DeployStep {
  /** What the step does, for the progress line. */
  what: string;
  kubectl: string[];
  /** Given to kubectl on its standard input (`-f -`). */
  stdin?: string;
  /** kubectl arguments whose output says why the step failed (Pods' states, the conditions). */
  diagnose?: string[];
  /**
   * Run the step only when this kubectl finds `nothing` (prints nothing, or names a resource type
   * the server lacks) or `something`; otherwise skip it, saying why and what it found.
   */
  when?: { kubectl: string[]; finds: 'nothing' | 'something'; why: string };
}

const podStates =
  'custom-columns=POD:.metadata.name,PHASE:.status.phase,READY:.status.containerStatuses[*].ready,RESTARTS:.status.containerStatuses[*].restartCount,WAITING:.status.containerStatuses[*].state.waiting.reason,MESSAGE:.status.containerStatuses[*].state.waiting.message';
const conditions = 'jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}';

/**
 * The steps, in order. Topics are applied and Ready before any consumer is awaited: consumers
 * start with the platform file and wait, not ready, until their topic exists.
 *
 * `imageIds` (image name → ID, as `make images` records them): each Eventide Deployment's Pod
 * template gets its image's ID as an annotation, so an image rebuilt under the same tag rolls its
 * Pods and an unchanged one changes nothing (a restart of every Deployment on each deploy would
 * not be safe to run again for free).
 */
export function deploySteps(chartDir: string, imageIds: Record<string, string> = {}): DeployStep[] {
  const { crds, platform, resources } = chartFiles(chartDir);
  const platformObjects = manifests(platform);
  const resourceObjects = manifests(resources);
  const names = (list: Manifest[], kind: string, pick: (m: Manifest) => boolean = () => true) =>
    list.filter((m) => m.kind === kind && pick(m));
  const namespaced = (m: Manifest) => ['-n', m.metadata.namespace ?? 'default'];
  const rollout = (m: Manifest, kind: string, timeout: string): DeployStep => ({
    what: `${m.metadata.name} rolled out`,
    kubectl: [...namespaced(m), 'rollout', 'status', `${kind}/${m.metadata.name}`, `--timeout=${timeout}`],
    diagnose: [
      ...namespaced(m),
      'get',
      'pods',
      '-l',
      Object.entries(m.spec?.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      '-o',
      podStates,
    ],
  });
  const steps: DeployStep[] = [
    { what: 'CRDs', kubectl: ['apply', '--server-side', '-f', crds] },
    {
      what: 'CRDs established',
      kubectl: [
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        ...manifests(crds)
          .filter((m) => m.kind === 'CustomResourceDefinition')
          .map((m) => `crd/${m.metadata.name}`),
      ],
    },
    { what: 'platform', kubectl: ['apply', '--server-side', '-f', platform] },
  ];
  for (const deployment of names(platformObjects, 'Deployment')) {
    const id = imageIds[eventideImage(deployment) ?? ''];
    if (id === undefined) continue;
    const patch = { spec: { template: { metadata: { annotations: { [imageIdAnnotation]: id } } } } };
    steps.push({
      what: `${deployment.metadata.name} runs image ${id.slice(0, 19)}`,
      kubectl: [...namespaced(deployment), 'patch', 'deployment', deployment.metadata.name, '--type=merge', '-p', JSON.stringify(patch)],
    });
  }
  for (const kafka of names(platformObjects, 'Kafka'))
    steps.push({
      what: `Kafka ${kafka.metadata.name} Ready`,
      kubectl: [...namespaced(kafka), 'wait', `kafka/${kafka.metadata.name}`, '--for=condition=Ready', '--timeout=600s'],
      diagnose: [...namespaced(kafka), 'get', `kafka/${kafka.metadata.name}`, '-o', conditions],
    });
  for (const set of names(platformObjects, 'StatefulSet')) steps.push(rollout(set, 'statefulset', '600s'));
  const operators = names(platformObjects, 'Deployment', (m) => m.metadata.labels?.['app.kubernetes.io/component'] === 'operator');
  for (const operator of operators) steps.push(rollout(operator, 'deployment', '300s'));
  steps.push({ what: 'Topics and ConsumerGroups', kubectl: ['apply', '--server-side', '-f', resources] });
  const ready = (object: Manifest): DeployStep => ({
    what: `${object.kind} ${object.metadata.name} Ready`,
    kubectl: [
      ...namespaced(object),
      'wait',
      `${object.kind.toLowerCase()}/${object.metadata.name}`,
      '--for=condition=Ready',
      '--timeout=120s',
    ],
    diagnose: [...namespaced(object), 'get', `${object.kind.toLowerCase()}/${object.metadata.name}`, '-o', conditions],
  });
  for (const topic of names(resourceObjects, 'Topic')) steps.push(ready(topic));
  for (const deployment of names(platformObjects, 'Deployment', (m) => isEventideImage(m) && !operators.includes(m)))
    steps.push(rollout(deployment, 'deployment', '300s'));
  // A ConsumerGroup is Ready once its consumers consume, so it comes last.
  for (const group of names(resourceObjects, 'ConsumerGroup')) steps.push(ready(group));
  return steps;
}

export interface KubectlOptions {
  /** The kubectl binary; default $KUBECTL or "kubectl". */
  kubectl?: string;
  /** Extra kubectl arguments, e.g. ["--kubeconfig", file]; default none (KUBECONFIG applies). */
  kubectlArgs?: string[];
  log?: (line: string) => void;
}

export interface DeployOptions extends KubectlOptions {
  chartDir: string;
  /** Image name → ID (see deploySteps); default none. */
  imageIds?: Record<string, string>;
}

/** Runs steps in order, each timed on its progress line; the first failure stops them, saying why. */
export async function runSteps(
  steps: DeployStep[],
  { kubectl = process.env.KUBECTL ?? 'kubectl', kubectlArgs = [], log = console.log }: KubectlOptions,
  command = 'deploy',
): Promise<void> {
  const kube = (args: string[], stdin?: string) => {
    const running = run(kubectl, [...kubectlArgs, ...args], { maxBuffer: 16 * 1024 * 1024 });
    running.child.stdin?.end(stdin ?? '');
    return running;
  };
  for (const step of steps) {
    const started = Date.now();
    if (step.when) {
      // A resource type the server no longer has: nothing of it is left.
      const found = await kube(step.when.kubectl).then(
        (r) => r.stdout.trim(),
        (error: { stderr?: string }) => {
          if (/doesn't have a resource type/.test(error.stderr ?? '')) return '';
          throw error;
        },
      );
      if ((found === '') !== (step.when.finds === 'nothing')) {
        log(`${command}: ${step.what} skipped: ${step.when.why}${found ? `:\n${found}` : ''}`);
        continue;
      }
    }
    try {
      await kube(step.kubectl, step.stdin);
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      // A timeout alone says nothing; the Pods' states or the conditions say why.
      const why = step.diagnose
        ? await kube(step.diagnose).then(
            (r) => `\nnow:\n${r.stdout.trimEnd()}`,
            () => '',
          )
        : '';
      throw new Error(
        `${command}: ${step.what} failed: kubectl ${step.kubectl.join(' ')}\n${(e.stderr || e.stdout || e.message).trim()}${why}`,
      );
    }
    log(`${command}: ${step.what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

export const deploy = ({ chartDir, imageIds, ...options }: DeployOptions): Promise<void> =>
  runSteps(deploySteps(chartDir, imageIds), options);

/** The IDs `make images` wrote, one <image>.id file each; none where it has not run. */
export function readImageIds(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.id'))
      .map((f) => [basename(f, '.id'), readFileSync(join(dir, f), 'utf8').trim()]),
  );
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { context: { type: 'string' }, 'image-ids': { type: 'string' } },
  });
  const chartDir = resolve(positionals[0] ?? 'charts/kind');
  const context = values.context ?? process.env.KUBECONTEXT;
  const kubectlArgs = context ? ['--context', context] : [];
  const imageIds = values['image-ids'] ? readImageIds(values['image-ids']) : {};
  try {
    await deploy({ chartDir, kubectlArgs, imageIds });
    const namespace = chartNamespace(chartDir);
    const { stdout } = await run(process.env.KUBECTL ?? 'kubectl', [
      ...kubectlArgs,
      '-n',
      namespace,
      'get',
      'topics,consumergroups,deployments',
    ]);
    console.log(stdout);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
