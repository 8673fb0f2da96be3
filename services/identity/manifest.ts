import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { identityConfig } from './config.ts';
import { identityContracts } from './events.ts';

/** The Secrets identity reads: the chart creates development ones where the profile lets it. */
export const identitySecrets = {
  /** The bootstrap administrator's e-mail and password (tenant "platform"). */
  bootstrapAdmin: 'identity-bootstrap-admin',
  /** The payment provider's machine client (development profiles only). */
  paymentProvider: 'identity-payment-provider',
  /** The activation deliverer's public JWK, which identity encrypts activation tokens to (production). */
  activationDelivererKey: { secret: 'activation-deliverer-key', key: 'publicJwk' },
};

/** Accounts and tokens: the platform's token issuer, and the users teachers.events asks for. */
export const identityManifest: ServiceManifest = {
  name: 'identity',
  bundles: { 'identity.js': 'services/identity/main.ts' },
  contracts: Object.values(identityContracts),
  workloads: [
    {
      name: 'identity',
      bundle: 'identity.js',
      config: identityConfig,
      http: true,
      database: 'identity',
      // Activation requests carry one-time tokens: kept a day, long enough for the deliverer to catch up.
      produces: [{ topicName: 'identity.events', partitions: 6, config: { 'retention.ms': String(24 * 60 * 60 * 1000) } }],
      consumes: { topics: ['teachers.events'], maxReplicas: 6, lagThreshold: 200, offsetResetPolicy: 'earliest' },
      env: ({ tenants, development }) => ({
        // scrypt's 64 MiB per hash lives outside V8's heap: a capped heap keeps one hash and the
        // process under the 256 MiB limit (services/identity/login-storm.int.test.ts measures it).
        NODE_OPTIONS: '--max-old-space-size=96',
        TENANTS: tenants.join(','),
        BOOTSTRAP_ADMIN_EMAIL: { secret: identitySecrets.bootstrapAdmin, key: 'email' },
        BOOTSTRAP_ADMIN_PASSWORD: { secret: identitySecrets.bootstrapAdmin, key: 'password' },
        ...(development(identitySecrets.paymentProvider)
          ? {
              BOOTSTRAP_PROVIDER_CLIENT_ID: { secret: identitySecrets.paymentProvider, key: 'clientId' },
              BOOTSTRAP_PROVIDER_CLIENT_SECRET: { secret: identitySecrets.paymentProvider, key: 'clientSecret' },
            }
          : {}),
        // Activation tokens travel encrypted to the deliverer's public key (a Secret whoever runs the
        // cluster creates with it); a development profile without that Secret publishes them in clear.
        ...(development(identitySecrets.activationDelivererKey.secret)
          ? { ACTIVATION_TOKEN_IN_CLEAR: 'true' }
          : { ACTIVATION_DELIVERY_PUBLIC_JWK: identitySecrets.activationDelivererKey }),
      }),
    },
  ],
};
