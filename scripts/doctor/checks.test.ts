import { describe, expect, it } from 'vitest';
import {
  type ContextState,
  checkCapacity,
  checkContext,
  checkDefaultStorageClass,
  checkDisk,
  checkDocker,
  checkKind,
  checkKubectl,
  checkMaxMapCount,
  checkStrimziCrds,
  report,
} from './checks.ts';

const GiB = 2 ** 30;
const node = 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5';
const dockerJson = (info: object) => ({ stdout: JSON.stringify(info) });

describe('kind', () => {
  it('blocks when kind is missing, fails or is older than the release that ships the node image', () => {
    expect(checkKind({ missing: true }, '0.33.0', node)).toMatchObject({
      level: 'block',
      message: expect.stringMatching(/not installed: install kind v0\.33\.0 or newer/),
    });
    expect(checkKind({ error: 'exec format error' }, '0.33.0', node)).toMatchObject({ level: 'block' });
    expect(checkKind({ stdout: 'kind v0.32.0 go1.26.3 linux/amd64\n' }, '0.33.0', node)).toMatchObject({
      level: 'block',
      message: expect.stringContaining(`kind v0.32.0 is older than v0.33.0, the first release that ships ${node}`),
    });
  });

  it('passes v0.33.0 and newer, comparing numbers (0.100 is newer than 0.33)', () => {
    expect(checkKind({ stdout: 'kind v0.33.0 go1.26.7 linux/amd64' }, '0.33.0', node).level).toBe('ok');
    expect(checkKind({ stdout: 'kind v0.100.0 go1.30 darwin/arm64' }, '0.33.0', node).level).toBe('ok');
  });
});

describe('kubectl', () => {
  const client = (gitVersion: string) => ({ stdout: JSON.stringify({ clientVersion: { gitVersion } }) });

  it('blocks when missing or more than one minor older than the cluster (the skew policy)', () => {
    expect(checkKubectl({ missing: true }, '1.37.1')).toMatchObject({
      level: 'block',
      message: expect.stringContaining('install kubectl v1.36.0 or newer'),
    });
    expect(checkKubectl(client('v1.35.9'), '1.37.1')).toMatchObject({ level: 'block', message: expect.stringContaining('upgrade') });
  });

  it('passes one minor either side, warns beyond one newer, and reads the plain text form too', () => {
    expect(checkKubectl(client('v1.36.0'), '1.37.1').level).toBe('ok');
    expect(checkKubectl(client('v1.38.2'), '1.37.1').level).toBe('ok');
    expect(checkKubectl(client('v1.39.0'), '1.37.1').level).toBe('warn');
    expect(checkKubectl({ stdout: 'Client Version: v1.37.0\nKustomize Version: v5.7.1\n' }, '1.37.1').level).toBe('ok');
  });
});

describe('docker', () => {
  it('blocks when Docker is missing, its daemon does not answer, or it is older than 23', () => {
    expect(checkDocker({ missing: true })).toMatchObject({
      level: 'block',
      message: expect.stringContaining('install Docker Engine 23.0.0'),
    });
    expect(checkDocker({ error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' })).toMatchObject({
      level: 'block',
      message: expect.stringMatching(/Cannot connect.*start Docker/),
    });
    expect(checkDocker(dockerJson({ NCPU: 0, MemTotal: 0, ServerVersion: '', ServerErrors: ['permission denied'] }))).toMatchObject({
      level: 'block',
      message: expect.stringContaining('permission denied'),
    });
    expect(checkDocker(dockerJson({ NCPU: 4, MemTotal: 8 * GiB, ServerVersion: '20.10.24' }))).toMatchObject({
      level: 'block',
      message: expect.stringContaining('upgrade Docker'),
    });
  });

  it('passes a running Docker 23 or newer', () => {
    expect(checkDocker(dockerJson({ NCPU: 4, MemTotal: 8 * GiB, ServerVersion: '29.1.3' })).level).toBe('ok');
  });
});

describe('capacity', () => {
  const parts = [
    { name: 'Deployment catalog × 1', requests: { cpu: 2000, memory: 3 * GiB } },
    { name: 'kube-apiserver', requests: { cpu: 250, memory: 0 } },
  ];
  const laptop = { cpus: 4, memory: 8 * GiB };

  it('blocks when Docker has fewer CPUs or less memory than the cluster requests, naming the largest requests', () => {
    expect(checkCapacity({ NCPU: 2, MemTotal: 8 * GiB }, parts, laptop)).toMatchObject({
      level: 'block',
      message: expect.stringMatching(
        /Docker gives 2 CPUs.*requests 2\.25 CPUs.*catalog × 1 2000m.*give Docker at least 4 CPUs and 8\.0 GiB/,
      ),
    });
    expect(checkCapacity({ NCPU: 8, MemTotal: 2 * GiB }, parts, laptop).level).toBe('block');
  });

  it('warns below the laptop size, passes at or above it (a VM of 8 GiB reports a little less)', () => {
    expect(checkCapacity({ NCPU: 3, MemTotal: 8 * GiB }, parts, laptop)).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('scale out'),
    });
    expect(checkCapacity({ NCPU: 4, MemTotal: 7.7 * GiB }, parts, laptop).level).toBe('ok');
  });
});

describe('disk', () => {
  it('blocks below 10 GiB free', () => {
    expect(checkDisk(4 * GiB, '/var/lib/docker')).toMatchObject({
      level: 'block',
      message: expect.stringMatching(/4\.0 GiB free at \/var\/lib\/docker.*10\.0 GiB/),
    });
    expect(checkDisk(40 * GiB, '/var/lib/docker').level).toBe('ok');
  });
});

describe('context', () => {
  const state = (over: Partial<ContextState>): ContextState => ({
    wanted: 'kind-eventide',
    contexts: ['kind-eventide', 'prod'],
    current: 'kind-eventide',
    server: { version: 'v1.37.0' },
    ...over,
  });

  it('blocks before a deploy when the context is missing or its cluster does not answer; only warns before kind-up', () => {
    expect(checkContext(state({ contexts: ['prod'] }), '1.37.1', true)).toMatchObject({
      level: 'block',
      message: expect.stringContaining('make kind-up'),
    });
    expect(checkContext(state({ contexts: ['prod'] }), '1.37.1', false).level).toBe('warn');
    expect(checkContext(state({ server: { error: 'connection refused' } }), '1.37.1', true)).toMatchObject({
      level: 'block',
      message: expect.stringContaining('connection refused'),
    });
  });

  it('says when the current context is another one (the targets use theirs), and warns on another minor', () => {
    expect(checkContext(state({ current: 'prod' }), '1.37.1', true)).toMatchObject({
      level: 'ok',
      message: expect.stringContaining('your current context is prod'),
    });
    expect(checkContext(state({ server: { version: 'v1.36.4' } }), '1.37.1', true).level).toBe('warn');
    expect(checkContext(state({}), '1.37.1', true).level).toBe('ok');
  });
});

describe('production', () => {
  it('blocks without the Strimzi CRDs or a default StorageClass', () => {
    expect(checkStrimziCrds(false, '1.2.0')).toMatchObject({
      level: 'block',
      message: expect.stringContaining('strimzi-cluster-operator-1.2.0.yaml'),
    });
    expect(checkStrimziCrds(true, '1.2.0').level).toBe('ok');
    expect(checkDefaultStorageClass([{ name: 'slow', isDefault: false }])).toMatchObject({
      level: 'block',
      message: expect.stringContaining('found: slow'),
    });
    expect(checkDefaultStorageClass([{ name: 'standard', isDefault: true }]).level).toBe('ok');
  });

  it('warns on a vm.max_map_count below what Elasticsearch with mmap needs, or one it cannot read', () => {
    expect(checkMaxMapCount(65530)).toMatchObject({ level: 'warn', message: expect.stringContaining('vm.max_map_count=262144') });
    expect(checkMaxMapCount(undefined).level).toBe('warn');
    expect(checkMaxMapCount(262144).level).toBe('ok');
  });
});

describe('report', () => {
  it('prints one line per finding and blocks on any block', () => {
    const ok = { check: 'kind', level: 'ok' as const, message: 'kind v0.33.0' };
    expect(report([ok, { check: 'disk', level: 'warn', message: 'low' }])).toEqual({
      text: 'ok    kind  kind v0.33.0\nwarn  disk  low',
      blocked: false,
    });
    expect(report([ok, { check: 'docker', level: 'block', message: 'start Docker' }]).blocked).toBe(true);
  });
});
