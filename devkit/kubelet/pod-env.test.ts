import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ContainerConfigError, containerEnv, referencedObjects } from './pod-env.ts';

const pod: V1Pod = {
  metadata: { name: 'catalog-abc', namespace: 'eventide', uid: 'u-1', labels: { app: 'catalog' } },
  spec: { nodeName: 'eventide-local', serviceAccountName: 'catalog', containers: [] },
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
const sources = {
  configMaps: new Map([['catalog', { data: { PORT: '8080', KAFKA_BROKERS: 'kafka:9092' } }]]),
  secrets: new Map([['postgres-credentials', { data: { username: b64('eventide'), password: b64('s3cret') } }]]),
};

describe('containerEnv', () => {
  it('resolves envFrom, values, secret and config map keys and field refs, env over envFrom', () => {
    const container: V1Container = {
      name: 'catalog',
      envFrom: [{ configMapRef: { name: 'catalog' } }, { secretRef: { name: 'postgres-credentials' }, prefix: 'DB_' }],
      env: [
        { name: 'PORT', value: '9999' },
        { name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'username' } } },
        { name: 'BROKERS', valueFrom: { configMapKeyRef: { name: 'catalog', key: 'KAFKA_BROKERS' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'GREETING', value: 'pod $(POD_NAME) on $(PORT), $$(PORT) literal, $(MISSING) kept' },
      ],
    };
    expect(containerEnv(pod, container, sources)).toEqual({
      PORT: '9999',
      KAFKA_BROKERS: 'kafka:9092',
      DB_username: 'eventide',
      DB_password: 's3cret',
      PGUSER: 'eventide',
      BROKERS: 'kafka:9092',
      POD_NAME: 'catalog-abc',
      POD_NAMESPACE: 'eventide',
      APP: 'catalog',
      GREETING: 'pod catalog-abc on 9999, $(PORT) literal, $(MISSING) kept',
    });
  });

  it('refuses a missing object or key as the kubelet does, unless optional', () => {
    const missingKey: V1Container = {
      name: 'c',
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'nope' } } }],
    };
    expect(() => containerEnv(pod, missingKey, sources)).toThrow(
      new ContainerConfigError("couldn't find key nope in Secret eventide/postgres-credentials"),
    );
    const missingMap: V1Container = { name: 'c', envFrom: [{ configMapRef: { name: 'absent' } }] };
    expect(() => containerEnv(pod, missingMap, sources)).toThrow(/configmap "absent" not found/);
    const optional: V1Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'absent', optional: true } }],
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } }],
    };
    expect(containerEnv(pod, optional, sources)).toEqual({});
  });

  it('says which objects a container needs', () => {
    const container: V1Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's1' } }],
      env: [
        { name: 'X', valueFrom: { secretKeyRef: { name: 's2', key: 'k' } } },
        { name: 'Y', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } },
      ],
    };
    const refs = referencedObjects(container);
    expect([...refs.configMaps]).toEqual(['a', 'b']);
    expect([...refs.secrets]).toEqual(['s1', 's2']);
  });
});
