import { Construct } from 'constructs';
import type { EnvValue } from '../lib/service-manifest.ts';
import type { KafkaAcl, KafkaCluster } from './kafka.ts';

export interface ExternalKafkaClientProps {
  kafka: KafkaCluster;
  /**
   * The workload's name: its KafkaUser's (and so the Secret Strimzi writes its password into), and
   * the app.kubernetes.io/name label its pods must carry (with app.kubernetes.io/part-of=eventide)
   * for Kafka's NetworkPolicy and the clients' egress policy to let them through.
   */
  name: string;
  /** What it may do on Kafka: with authentication on, exactly these ACLs. */
  acl: KafkaAcl;
}

/**
 * A Kafka client that is not part of this repository but belongs to the platform (the activation
 * deliverer, which reads identity.events and sends the e-mails): its KafkaUser with the least ACLs
 * and its place among Kafka's clients, so whoever deploys it in the namespace has only to mount
 * `env`'s Secrets.
 */
export class ExternalKafkaClient extends Construct {
  /** The Kafka settings the client's Deployment should carry (KAFKA_BROKERS, and with authentication its SASL user, Secret and CA). */
  readonly env: Record<string, EnvValue>;

  constructor(scope: Construct, id: string, props: ExternalKafkaClientProps) {
    super(scope, id);
    this.env = props.kafka.connect(props.name, props.acl);
  }
}
