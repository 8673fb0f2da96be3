/**
 * `make undeploy`: remove what `make deploy` applied, in reverse order, from the same chart files.
 *
 * - Topics and ConsumerGroups first, while the operator still runs: a Topic with
 *   `deletionPolicy: Delete` has the operator's finalizer and its Kafka topic is deleted; one with
 *   `Retain` (every Topic of the chart) has none, so its Kafka topic and data stay in the broker.
 * - Then the platform's objects, each waited for until its Pods are gone (foreground deletion), so
 *   a `make deploy` right after starts from nothing. The Namespace stays: it holds the
 *   PersistentVolumeClaims, the Secrets its owner created and, on kind, Strimzi's operator.
 * - PersistentVolumeClaims (the StatefulSets' and Strimzi's) only with DELETE_VOLUMES=1.
 * - The CRDs last, and only when no Topic or ConsumerGroup is left in any namespace: deleting a
 *   CRD deletes every resource of it, other teams' too.
 *
 *   node scripts/undeploy.ts [charts/kind] [--context NAME]     (DELETE_VOLUMES=1 deletes the volumes; kubectl and context as deploy.ts)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chartFiles, chartNamespace, type DeployStep, manifests, runSteps } from './deploy.ts';

export interface UndeployOptions {
  /** Delete the PersistentVolumeClaims of the chart's StatefulSets and Kafka too. Default: false (data kept). */
  deleteVolumes?: boolean;
}

const selector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function undeploySteps(chartDir: string, { deleteVolumes = false }: UndeployOptions = {}): DeployStep[] {
  const { crds, platform, resources } = chartFiles(chartDir);
  const namespace = chartNamespace(chartDir);
  const platformObjects = manifests(platform);
  const definitions = manifests(crds)
    .filter((m) => m.kind === 'CustomResourceDefinition')
    .map((m) => m.metadata.name);
  const deleting = ['delete', '--ignore-not-found', '--wait', '--timeout=300s'];
  const steps: DeployStep[] = [
    {
      what: 'Topics and ConsumerGroups',
      kubectl: [...deleting, '-f', resources],
      // Run again after a complete undeploy, kubectl could not even read the file's kinds.
      when: {
        kubectl: ['get', 'crd', ...definitions, '--ignore-not-found', '-o', 'name'],
        finds: 'something',
        why: 'their CRDs are gone, and every Topic and ConsumerGroup with them',
      },
    },
    {
      what: 'platform',
      // Everything but the Namespace, last applied first; foreground: the Pods are gone when it returns.
      kubectl: [...deleting, '--cascade=foreground', '-f', '-'],
      stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: platformObjects.filter((m) => m.kind !== 'Namespace').reverse() }),
    },
  ];
  if (deleteVolumes) {
    const claims = [
      ...platformObjects.filter((m) => m.kind === 'StatefulSet').map((m) => m.spec?.selector?.matchLabels ?? {}),
      ...platformObjects.filter((m) => m.kind === 'Kafka').map((m) => ({ 'strimzi.io/cluster': m.metadata.name })),
    ];
    for (const labels of claims)
      steps.push({ what: `volumes ${selector(labels)}`, kubectl: [...deleting, '-n', namespace, 'pvc', '-l', selector(labels)] });
  }
  steps.push({
    what: 'CRDs',
    kubectl: [...deleting, '-f', crds],
    when: {
      kubectl: ['get', definitions.join(','), '--all-namespaces', '-o', 'name'],
      finds: 'nothing',
      why: 'these resources are left, and deleting the CRDs would delete them',
    },
  });
  return steps;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { context: { type: 'string' } } });
  const chartDir = resolve(positionals[0] ?? 'charts/kind');
  const context = values.context ?? process.env.KUBECONTEXT;
  try {
    await runSteps(
      undeploySteps(chartDir, { deleteVolumes: process.env.DELETE_VOLUMES === '1' }),
      { kubectlArgs: context ? ['--context', context] : [] },
      'undeploy',
    );
    const namespace = chartNamespace(chartDir);
    console.log(
      process.env.DELETE_VOLUMES === '1'
        ? `undeploy: done; namespace ${namespace} kept (kubectl delete namespace ${namespace} removes it and all it still holds)`
        : `undeploy: done; namespace ${namespace} and its PersistentVolumeClaims kept (DELETE_VOLUMES=1 deletes the volumes)`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
