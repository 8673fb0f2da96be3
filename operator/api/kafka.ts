/**
 * What the Kafka adapters read, in the terms the controllers and the scaling rule use: here so
 * operator/kafka need not import from the layers that consume it.
 */

/** What Kafka holds for a topic: partitions, replicas, and the configs set on the topic itself. */
export interface ObservedTopic {
  name: string;
  topicId?: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level overrides only; broker defaults are not listed. */
  config: Record<string, string>;
}

export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** The log end offset (high watermark). */
  endOffset: number;
  /** The log start offset (low watermark): where "earliest" starts. */
  startOffset: number;
  /** The group's committed offset, or null when it has committed none. */
  committedOffset: number | null;
}
