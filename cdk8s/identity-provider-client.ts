import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { identitySecrets } from '../services/identity/manifest.ts';
import { labels, namespaceOf } from './labels.ts';

export interface IdentityProviderClientProps {
  /** Default: payment-provider. */
  clientId?: string;
  /** Default: a development secret, "eventide-dev-provider-secret". */
  clientSecret?: string;
}

/**
 * The development Secret of the payment provider's machine client (OAuth 2.0 client credentials,
 * scope payments:complete), which identity keeps in step with it at start. Development profiles
 * only: in production a platform administrator creates the provider's client through identity's
 * API and hands its secret to the provider, so no such Secret exists.
 */
export class IdentityProviderClient extends Construct {
  static readonly secretName = identitySecrets.paymentProvider;

  constructor(scope: Construct, id: string, props: IdentityProviderClientProps = {}) {
    super(scope, id);
    const namespace = namespaceOf(this);
    new k8s.KubeSecret(this, 'secret', {
      metadata: { name: IdentityProviderClient.secretName, namespace, labels: labels('identity', 'credentials') },
      type: 'Opaque',
      stringData: { clientId: props.clientId ?? 'payment-provider', clientSecret: props.clientSecret ?? 'eventide-dev-provider-secret' },
    });
  }
}
