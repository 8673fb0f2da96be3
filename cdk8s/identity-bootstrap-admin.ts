import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { identitySecrets } from '../services/identity/manifest.ts';
import { labels, namespaceOf } from './labels.ts';

export interface IdentityBootstrapAdminProps {
  /** Default: admin@eventide.local. */
  email?: string;
  /** Default: a development password, "eventide-dev-admin". */
  password?: string;
}

/**
 * The development Secret of identity's bootstrap administrator (tenant "platform"), who creates
 * the first teachers. In production the Secret is created by whoever runs the cluster.
 */
export class IdentityBootstrapAdmin extends Construct {
  static readonly secretName = identitySecrets.bootstrapAdmin;

  constructor(scope: Construct, id: string, props: IdentityBootstrapAdminProps = {}) {
    super(scope, id);
    const namespace = namespaceOf(this);
    new k8s.KubeSecret(this, 'secret', {
      metadata: { name: IdentityBootstrapAdmin.secretName, namespace, labels: labels('identity', 'credentials') },
      type: 'Opaque',
      stringData: { email: props.email ?? 'admin@eventide.local', password: props.password ?? 'eventide-dev-admin' },
    });
  }
}
