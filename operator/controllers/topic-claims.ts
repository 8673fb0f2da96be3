import { keyOf } from '../../lib/watched.ts';
import { kafkaTopicName, managedAnnotation, type Topic } from '../api/topic.ts';

/**
 * Which Topic resources name each Kafka topic, kept current from the watch, so deciding the owner
 * of a name costs the few resources that claim it rather than a scan of every Topic (10,000 Topics
 * made every resync quadratic).
 */
export class TopicClaims {
  private readonly byName = new Map<string, Map<string, Topic>>();
  private readonly nameOf = new Map<string, string>();

  observe(topic: Topic, deleted: boolean): void {
    const key = keyOf(topic);
    const before = this.nameOf.get(key);
    if (before !== undefined) {
      const claims = this.byName.get(before);
      claims?.delete(key);
      if (claims?.size === 0) this.byName.delete(before);
      this.nameOf.delete(key);
    }
    if (deleted) return;
    const name = kafkaTopicName(topic);
    this.nameOf.set(key, name);
    const claims = this.byName.get(name) ?? new Map<string, Topic>();
    this.byName.set(name, claims);
    claims.set(key, topic);
  }

  /** The managed Topics that name this Kafka topic. */
  on(name: string): Topic[] {
    return [...(this.byName.get(name)?.values() ?? [])].filter((t) => t.metadata.annotations?.[managedAnnotation] !== 'false');
  }
}
