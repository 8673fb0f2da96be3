import { describe, expect, it } from 'vitest';
import { deadLetterRecord, deadLetterTopic } from './dead-letter.ts';

describe('dead letters', () => {
  it('go to <group>.dlq', () => {
    expect(deadLetterTopic('search-indexer')).toBe('search-indexer.dlq');
  });

  it('keep the record as it was and add why, where and when', () => {
    const message = { key: Buffer.from('k'), value: Buffer.from('v'), headers: { ce_id: 'id-1' }, offset: '41' } as never;
    const cause = { topic: 'catalog.events', partition: 2, groupId: 'search-indexer', reason: 'bad', attempts: 3, time: new Date(0) };
    expect(deadLetterRecord(message, cause)).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      headers: {
        ce_id: 'id-1',
        'dlq-reason': 'bad',
        'dlq-topic': 'catalog.events',
        'dlq-partition': '2',
        'dlq-offset': '41',
        'dlq-group': 'search-indexer',
        'dlq-attempts': '3',
        'dlq-time': '1970-01-01T00:00:00.000Z',
      },
    });
  });
});
