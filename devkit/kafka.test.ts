import { describe, expect, it } from 'vitest';
import { kafkaServerProperties, newClusterId } from './kafka.ts';

describe('kafkaServerProperties', () => {
  const properties = Object.fromEntries(
    kafkaServerProperties({ port: 19092, controllerPort: 19093, dataDir: '/tmp/k' })
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  it('runs one combined KRaft broker and controller on loopback', () => {
    expect(properties['process.roles']).toBe('broker,controller');
    expect(properties['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(properties['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
  });
  it('gives internal topics one replica, and creates no topic by accident', () => {
    expect(properties['offsets.topic.replication.factor']).toBe('1');
    expect(properties['transaction.state.log.min.isr']).toBe('1');
    expect(properties['auto.create.topics.enable']).toBe('false');
  });
});

describe('kafkaServerProperties with a secure listener', () => {
  const properties = Object.fromEntries(
    kafkaServerProperties({ port: 19092, controllerPort: 19093, dataDir: '/tmp/k', secure: { port: 19094, keystore: '/tmp/k/ks.pem' } })
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  it('adds a SASL_SSL listener with SCRAM-SHA-512 and a PEM keystore, advertised beside the plain one', () => {
    expect(properties['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094');
    expect(properties['listener.security.protocol.map']).toContain('SASL_SSL:SASL_SSL');
    expect(properties['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(properties['listener.name.sasl_ssl.ssl.keystore.location']).toBe('/tmp/k/ks.pem');
    // Brokers still talk among themselves (and to the controller) in plain text on loopback.
    expect(properties['inter.broker.listener.name']).toBe('PLAINTEXT');
  });
});

describe('newClusterId', () => {
  it('is 16 random bytes in unpadded base64url, as KRaft wants', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(newClusterId()).not.toBe(id);
  });
  it('never starts with "-", which the storage tool would read as an option', () => {
    const draws = [Buffer.from(`fb${'00'.repeat(15)}`, 'hex'), Buffer.from('00'.repeat(16), 'hex')];
    expect(
      Buffer.from(draws[0] as Buffer)
        .toString('base64url')
        .startsWith('-'),
    ).toBe(true);
    expect(newClusterId(() => draws.shift() as Buffer)).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });
});
