import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config.ts';

const schema = z.object({
  KAFKA_BROKERS: env.kafkaBrokers,
  LOG_LEVEL: env.logLevel,
  PORT: env.port,
  DATABASE_URL: env.databaseUrl,
  WATCH: env.list,
});

describe('loadConfig', () => {
  it('parses and fills in defaults', () => {
    expect(loadConfig('svc', schema, { KAFKA_BROKERS: ' k-0:9092,, k-1:9093 ' })).toEqual({
      KAFKA_BROKERS: ['k-0:9092', 'k-1:9093'],
      LOG_LEVEL: 'info',
      PORT: 8080,
      WATCH: [],
    });
    expect(loadConfig('svc', schema, { KAFKA_BROKERS: 'k:1', PORT: '0', WATCH: 'a, b' })).toMatchObject({ PORT: 0, WATCH: ['a', 'b'] });
  });

  it('reads process.env when given no source', () => {
    process.env.LIB_CONFIG_TEST_PORT = '1234';
    try {
      expect(loadConfig('svc', z.object({ LIB_CONFIG_TEST_PORT: env.port }))).toEqual({ LIB_CONFIG_TEST_PORT: 1234 });
    } finally {
      delete process.env.LIB_CONFIG_TEST_PORT;
    }
  });

  it('names every problem, one line each, under the program name', () => {
    const error = (() => {
      try {
        loadConfig('svc', schema, { PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).message.split('\n');
    expect(lines[0]).toBe('svc: invalid configuration');
    expect(lines.slice(1)).toEqual([
      '  KAFKA_BROKERS: KAFKA_BROKERS is required: the Kafka bootstrap servers, host:port[,host:port]',
      expect.stringMatching(/^ {2}LOG_LEVEL: /),
      expect.stringMatching(/^ {2}PORT: .*65535/),
      expect.stringMatching(/^ {2}DATABASE_URL: .*postgres/),
    ]);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('rejects brokers without a port, or none at all', () => {
    for (const KAFKA_BROKERS of ['kafka', 'k:9092,kafka', ' , ', 'k :9092'])
      expect(() => loadConfig('svc', schema, { KAFKA_BROKERS }), KAFKA_BROKERS).toThrow(
        /^svc: invalid configuration\n {2}KAFKA_BROKERS: KAFKA_BROKERS must be host:port\[,host:port\]$/,
      );
  });

  it('checks the Elasticsearch URL and names a problem outside any variable "environment"', () => {
    const search = z
      .object({ ELASTICSEARCH_URL: env.elasticsearchUrl, ELASTICSEARCH_USERNAME: env.elasticsearchUsername })
      .refine(() => false, 'never');
    expect(() => loadConfig('search', search, {})).toThrow(/ELASTICSEARCH_URL: ELASTICSEARCH_URL is required: e\.g\. http/);
    expect(() => loadConfig('search', search, { ELASTICSEARCH_URL: 'http://es:9200' })).toThrow(/\n {2}environment: never$/);
  });

  it('takes the pod name, or the host name without one', () => {
    const pod = z.object({ POD_NAME: env.podName });
    expect(loadConfig('svc', pod, { POD_NAME: 'p-1' }).POD_NAME).toBe('p-1');
    expect(loadConfig('svc', pod, {}).POD_NAME).not.toBe('');
  });
});
