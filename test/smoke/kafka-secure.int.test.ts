// @needs kafka
/**
 * The local broker's second listener is production's kind (TLS with a CA of its own, SCRAM-SHA-512),
 * so tools can be tested against what they meet on a cluster: with the CA and the user's password a
 * kafkajs client connects; without TLS, or with a wrong password, it cannot.
 */
import { describe, expect, inject, it } from 'vitest';
import type { SecureListener } from '../../devkit/kafka.ts';
import { kafkaClient, kafkaSecurity } from '../../lib/kafka.ts';

const listener = (): SecureListener => {
  const provided = inject('kafkaSecure');
  if (!provided) throw new Error('this suite needs the local broker (its secure listener): unset EVENTIDE_KAFKA_BROKERS');
  return JSON.parse(provided) as SecureListener;
};
const connects = async (config: Parameters<typeof kafkaClient>[0]) => {
  const admin = kafkaClient({ ...config, retry: { retries: 0 }, connectionTimeout: 3_000, authenticationTimeout: 3_000 }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

describe('the secure listener', () => {
  it('admits TLS + SCRAM-SHA-512 with the CA and the password, and nothing less', async () => {
    const { brokers, ca, username, password } = listener();
    const security = kafkaSecurity({ KAFKA_CA: ca, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password });
    expect(await connects({ clientId: 'secure-ok', brokers, ...security })).toBe(true);
    expect(
      await connects({
        clientId: 'secure-bad-password',
        brokers,
        ...kafkaSecurity({ KAFKA_CA: ca, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: `${password}x` }),
      }),
    ).toBe(false);
    expect(await connects({ clientId: 'secure-plain', brokers })).toBe(false);
  });
});
