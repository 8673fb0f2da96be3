import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('takes defaults for everything but the brokers', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092', POD_NAME: 'op-1' });
    expect(config).toMatchObject({
      KAFKA_BROKERS: ['kafka-0:9092', 'kafka-1:9092'],
      WATCH_NAMESPACES: [],
      POD_NAME: 'op-1',
      LEASE_NAMESPACE: 'eventide',
      LEASE_DURATION_SECONDS: 15,
      RESYNC_SECONDS: 60,
      TOPIC_WORKERS: 100,
      CONSUMER_GROUP_WORKERS: 50,
      KAFKA_BATCH_LINGER_MS: 10,
      KAFKA_BATCH_SIZE: 100,
      KUBE_API_QPS: 200,
      KUBE_API_BURST: 400,
      PORT: 8080,
    });
  });
  it('reads a list of namespaces to watch', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'k:9092', WATCH_NAMESPACES: 'a, b' }).WATCH_NAMESPACES).toEqual(['a', 'b']);
  });
  it('names every problem in one error', () => {
    expect(() => loadConfig({ PORT: 'eighty', LEASE_DURATION_SECONDS: '1' })).toThrow(
      /invalid configuration\n {2}KAFKA_BROKERS: KAFKA_BROKERS is required.*\n {2}LEASE_DURATION_SECONDS: .*\n {2}PORT: /s,
    );
  });
  it('rejects brokers without a port', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'kafka' })).toThrow(/KAFKA_BROKERS must be host:port/);
  });
});
