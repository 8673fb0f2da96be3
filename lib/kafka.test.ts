import { describe, expect, it } from 'vitest';
import { kafkaSecurity } from './kafka.ts';

describe('kafkaSecurity', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('is empty for a plain listener', () => expect(kafkaSecurity({})).toEqual({}));

  it('trusts the given CA and authenticates with SCRAM-SHA-512', () => {
    expect(kafkaSecurity({ KAFKA_CA: ca, KAFKA_SASL_USERNAME: 'catalog', KAFKA_SASL_PASSWORD: 'pw' })).toEqual({
      ssl: { ca: [ca] },
      sasl: { mechanism: 'scram-sha-512', username: 'catalog', password: 'pw' },
    });
  });

  it('refuses a user without a password (or the reverse) instead of connecting anonymously', () => {
    expect(() => kafkaSecurity({ KAFKA_SASL_USERNAME: 'catalog' })).toThrow(/go together/);
    expect(() => kafkaSecurity({ KAFKA_SASL_PASSWORD: 'pw' })).toThrow(/go together/);
  });
});
