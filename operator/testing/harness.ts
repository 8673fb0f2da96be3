import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../../shared/versions.ts';
import type { Topic, TopicSpec } from '../api/topic.ts';

const run = promisify(execFile);

/** Clients and helpers shared by the operator's integration suites. */
export function harness(kubeconfig: string, kubectlPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args])).stdout;
  const base = { group: 'eventide.dev', version: 'v1alpha1', plural: 'topics' };

  return {
    kc,
    core,
    kubectl,
    async installCrds() {
      await kubectl('apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml'));
      await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/topics.eventide.dev', 'crd/consumergroups.eventide.dev');
    },
    async namespace(name: string) {
      await core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
      return name;
    },
    async applyTopic(namespace: string, name: string, spec: Partial<TopicSpec>, annotations?: Record<string, string>) {
      const body = { apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace, annotations }, spec };
      await new Promise<void>((resolveApply, reject) => {
        const child = execFile(
          kubectlPath,
          ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '-f', '-'],
          (error, _o, stderr) => (error ? reject(new Error(stderr)) : resolveApply()),
        );
        child.stdin?.end(JSON.stringify(body));
      });
    },
    async getTopic(namespace: string, name: string): Promise<Topic | undefined> {
      try {
        return (await custom.getNamespacedCustomObject({ ...base, namespace, name })) as Topic;
      } catch {
        return undefined;
      }
    },
    async deleteTopic(namespace: string, name: string) {
      await custom.deleteNamespacedCustomObject({ ...base, namespace, name });
    },
    async events(namespace: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
      const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
      return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '' }));
    },
  };
}

/** Polls until `probe` returns a value that is not undefined/false, or fails with the last seen value. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}

export const ready = (topic: Topic | undefined) => topic?.status?.conditions?.find((c) => c.type === 'Ready');
