import { describe, expect, it } from 'vitest';
import { localEnv, type ServiceAddress } from './address-map.ts';

const services: ServiceAddress[] = [
  { service: 'eventide-kafka-bootstrap', namespace: 'eventide', port: 9092, local: { host: '127.0.0.1', port: 40001 } },
  { service: 'elasticsearch', namespace: 'eventide', port: 9200, local: { host: '127.0.0.1', port: 40002 } },
  { service: 'postgres', namespace: 'eventide', port: 5432, local: { host: '127.0.0.1', port: 40003 } },
];
const ports = new Map([[8080, 41000]]);

describe('localEnv', () => {
  it('rewrites Service host:port in plain values, URLs and lists, in every DNS form', () => {
    const env = localEnv(
      {
        KAFKA_BROKERS: 'eventide-kafka-bootstrap.eventide.svc:9092',
        ELASTICSEARCH_URL: 'http://elasticsearch:9200',
        LIST: 'elasticsearch.eventide.svc.cluster.local:9200,eventide-kafka-bootstrap:9092',
      },
      services,
      ports,
    );
    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:40001',
      ELASTICSEARCH_URL: 'http://127.0.0.1:40002',
      LIST: '127.0.0.1:40002,127.0.0.1:40001',
    });
  });

  it('leaves other ports, other hosts and look-alike names alone', () => {
    const env = localEnv(
      { A: 'http://elasticsearch:9300', B: 'my-elasticsearch:9200', C: 'elasticsearch-headless:9200', D: 'postgres' },
      services,
      ports,
    );
    expect(env).toMatchObject({ A: 'http://elasticsearch:9300', B: 'my-elasticsearch:9200', C: 'elasticsearch-headless:9200' });
  });

  it('rewrites a <P>HOST / <P>PORT pair naming a Service, as a pair', () => {
    expect(localEnv({ PGHOST: 'postgres', PGPORT: '5432', PGDATABASE: 'eventide' }, services, ports)).toEqual({
      PGHOST: '127.0.0.1',
      PGPORT: '40003',
      PGDATABASE: 'eventide',
    });
    expect(localEnv({ PGHOST: 'postgres.eventide.svc' }, services, ports)).toEqual({ PGHOST: '127.0.0.1', PGPORT: '40003' });
  });

  it("gives the Pod's own container port its local port", () => {
    expect(localEnv({ PORT: '8080', OTHER: '9090' }, services, ports)).toEqual({ PORT: '41000', OTHER: '9090' });
  });
});
