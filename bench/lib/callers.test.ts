import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRequestsBy, kafkaRequestsByClient, linesSince } from './callers.ts';

describe('kafkaRequestsByClient', () => {
  it('counts completed requests per client id and ignores other lines', () => {
    const lines = [
      'Completed request:{"isForwarded":false,"requestHeader":{"requestApiKey":9,"clientId":"sarama"},"response":{}}',
      'Completed request:{"requestHeader":{"requestApiKey":3,"clientId":"eventide-operator-lag"}}',
      'Completed request:{"requestHeader":{"requestApiKey":9,"clientId":"sarama"}}',
      'some other message with "clientId":"sarama"',
    ];
    expect(Object.fromEntries(kafkaRequestsByClient(lines))).toEqual({ sarama: 2, 'eventide-operator-lag': 1 });
  });
});

describe('apiRequestsBy', () => {
  it('names each event by its caller and skips what the classifier leaves out or cannot parse', () => {
    const lines = [
      JSON.stringify({ user: { username: 'system:serviceaccount:keda:keda-operator' }, verb: 'get' }),
      JSON.stringify({ user: { username: 'admin' }, userAgent: 'kube-controller-manager/v1.37.1 (linux/amd64)/horizontal-pod-autoscaler' }),
      JSON.stringify({ user: { username: 'admin' }, userAgent: 'bench' }),
      '{not json',
      JSON.stringify({ user: { username: 'system:serviceaccount:keda:keda-operator' }, verb: 'update' }),
    ];
    const counts = apiRequestsBy(lines, (e) =>
      e.userAgent?.endsWith('/horizontal-pod-autoscaler')
        ? 'hpa'
        : e.user?.username?.startsWith('system:serviceaccount:')
          ? e.user.username
          : undefined,
    );
    expect(Object.fromEntries(counts)).toEqual({ 'system:serviceaccount:keda:keda-operator': 2, hpa: 1 });
  });
});

describe('linesSince', () => {
  it('returns only complete lines after the offset, and where to go on', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callers-')), 'log');
    writeFileSync(file, 'one\ntwo\nthr');
    const first = linesSince(file, 0);
    expect(first.lines).toEqual(['one', 'two']);
    writeFileSync(file, 'one\ntwo\nthree\nfour\n');
    expect(linesSince(file, first.next)).toEqual({ lines: ['three', 'four'], next: 19 });
  });
});
