import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The operator's Prometheus metrics, on one registry served at /metrics. */
export class OperatorMetrics {
  readonly registry = new Registry();

  constructor() {
    // Resident memory, heap and event-loop lag: what an operator of 10,000 resources is sized by.
    collectDefaultMetrics({ register: this.registry });
  }

  readonly reconciles = new Counter({
    name: 'eventide_reconcile_total',
    help: 'Reconciles by controller and result (success, error).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'eventide_reconcile_duration_seconds',
    help: 'Time one reconcile took.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'eventide_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'eventide_workqueue_retries_total',
    help: 'Keys re-queued with backoff after a failed reconcile.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly retryDelay = new Gauge({
    name: 'eventide_workqueue_retry_delay_seconds',
    help: 'Backoff before the next attempt, per key that is failing.',
    labelNames: ['controller', 'key'] as const,
    registers: [this.registry],
  });
  readonly pollLateness = new Histogram({
    name: 'eventide_poll_lateness_seconds',
    help: 'How long after its requeue time (e.g. a ConsumerGroup poll interval) a key was reconciled.',
    labelNames: ['controller'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly kafkaRequests = new Counter({
    name: 'eventide_kafka_requests_total',
    help: 'Requests sent to Kafka by client (topics, lag) and API (Metadata, CreateTopics, ListOffsets, …).',
    labelNames: ['client', 'api'] as const,
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'eventide_kube_requests_total',
    help: 'Requests to the API server (watches excepted) by method, resource (e.g. topics/status) and HTTP status.',
    labelNames: ['method', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'eventide_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [this.registry],
  });
  readonly topicReady = new Gauge({
    name: 'eventide_topic_ready',
    help: '1 when the Topic is Ready, 0 otherwise, by namespace/name and the reason of its Ready condition.',
    labelNames: ['namespace', 'name', 'reason'] as const,
    registers: [this.registry],
  });
}
