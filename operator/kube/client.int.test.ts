// @needs kube
import { randomUUID } from 'node:crypto';
import { ApiException, CoreV1Api, FlowcontrolApiserverV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, harness } from '../testing/harness.ts';
import { KubeClients } from './client.ts';

const h = harness(inject('kubeconfig'), inject('kubectl'));
const flowcontrol = h.kc.makeApiClient(FlowcontrolApiserverV1Api);
const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
const id = randomUUID().slice(0, 6);
const ns = `throttled-${id}`;
const level = `eventide-test-tiny-${id}`;
let throttled: KubeConfig;

/** Many LISTs at once of a namespace full of ConfigMaps: more than a three-seat priority level takes. */
async function burst(core: CoreV1Api, count = 60): Promise<{ ok: number; throttled: number }> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => core.listNamespacedConfigMap({ namespace: ns })));
  const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
  const other = rejected.filter((e) => !(e instanceof ApiException && e.code === 429));
  if (other.length > 0) throw other[0];
  return { ok: results.length - rejected.length, throttled: rejected.length };
}

beforeAll(async () => {
  await h.namespace(ns);
  await h.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
  await rbac.createNamespacedRole({
    namespace: ns,
    body: { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
  });
  const filler = 'x'.repeat(20_000);
  for (let i = 0; i < 100; i++)
    await h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` }, data: { filler } } });
  // API Priority and Fairness: this service account's requests get the smallest share there is,
  // may not borrow seats from idle levels (unset, borrowing is unlimited and a quiet server serves
  // the whole burst), and what does not fit is refused with 429 at once (no queue).
  await flowcontrol.createPriorityLevelConfiguration({
    body: {
      metadata: { name: level },
      spec: {
        type: 'Limited',
        limited: {
          nominalConcurrencyShares: 1,
          lendablePercent: 0,
          borrowingLimitPercent: 0,
          limitResponse: { type: 'Reject' },
        },
      },
    },
  });
  await flowcontrol.createFlowSchema({
    body: {
      metadata: { name: level },
      spec: {
        priorityLevelConfiguration: { name: level },
        matchingPrecedence: 100,
        rules: [
          {
            subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: 'reader', namespace: ns } }],
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }],
          },
        ],
      },
    },
  });
  const { status } = await h.core.createNamespacedServiceAccountToken({
    namespace: ns,
    name: 'reader',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = h.kc.getCurrentCluster();
  if (!cluster || !status?.token) throw new Error('no cluster or token');
  throttled = new KubeConfig();
  throttled.loadFromOptions({
    clusters: [{ ...cluster, name: 'local' }],
    users: [{ name: 'reader', token: status.token }],
    contexts: [{ name: 'reader', cluster: 'local', user: 'reader' }],
    currentContext: 'reader',
  });
});

afterAll(async () => {
  await flowcontrol.deleteFlowSchema({ name: level }).catch(() => undefined);
  await flowcontrol.deletePriorityLevelConfiguration({ name: level }).catch(() => undefined);
});

describe('API clients under API Priority and Fairness', () => {
  it('a plain client gets 429s from a burst; ours waits them out and every request succeeds', async () => {
    // The API server takes a moment to apply a new FlowSchema: a plain burst is refused once it has.
    const plain = await eventually(
      async () => {
        const result = await burst(throttled.makeApiClient(CoreV1Api));
        return result.throttled > 0 ? result : undefined;
      },
      { timeoutMs: 30_000, what: 'the priority level to refuse part of a burst' },
    );
    expect(plain.throttled).toBeGreaterThan(0);

    const answers: number[] = [];
    const clients = new KubeClients(throttled, {
      qps: 1_000,
      burst: 1_000,
      retries: 20,
      onResponse: (_m, _u, status) => answers.push(status),
    });
    const ours = await burst(clients.make(CoreV1Api));
    expect(ours).toEqual({ ok: 60, throttled: 0 });
    // It met the same refusals, and retried them.
    expect(answers.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(answers.filter((s) => s === 200)).toHaveLength(60);
  });

  it('keeps to its own rate: a burst over the bucket is spread at the configured QPS', async () => {
    const clients = new KubeClients(h.kc, { qps: 20, burst: 5 });
    const core = clients.make(CoreV1Api);
    const started = performance.now();
    await Promise.all(Array.from({ length: 25 }, () => core.readNamespace({ name: ns })));
    // 5 at once, then 20 more at 20/s: about a second, whatever the server could do.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});
