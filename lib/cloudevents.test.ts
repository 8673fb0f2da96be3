import { describe, expect, it } from 'vitest';
import { type CloudEvent, EnvelopeError, fromKafkaRecord, toKafkaRecord } from './cloudevents.ts';

const event: CloudEvent = {
  id: 'c0ffee00-0000-4000-8000-000000000001',
  type: 'dev.eventide.payments.payment.completed.v1',
  source: '/payments',
  subject: 'payment-7',
  time: new Date('2026-12-01T10:00:00.000Z'),
  data: { amountMinor: '1250', currency: 'EUR' },
};

describe('CloudEvents in Kafka binary mode', () => {
  it('puts the attributes in ce_ headers and the data in the value, keyed by subject unless told', () => {
    const record = toKafkaRecord(event);
    expect(record.key).toBe('payment-7');
    expect(JSON.parse(record.value)).toEqual(event.data);
    expect(record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: event.type,
      ce_source: '/payments',
      ce_time: '2026-12-01T10:00:00.000Z',
    });
    expect(record.headers.traceparent).toBeUndefined();
    expect(toKafkaRecord(event, 'merchant-1').key).toBe('merchant-1');
  });

  it('reads back what it writes, with the key', () => {
    expect(fromKafkaRecord(toKafkaRecord({ ...event, traceparent: '00-abc-def-01' }, 'merchant-1'))).toEqual({
      ...event,
      traceparent: '00-abc-def-01',
      key: 'merchant-1',
    });
  });

  it.each([
    ['no spec version', { ce_specversion: undefined }, /ce_specversion/],
    ['no id', { ce_id: undefined }, /ce_id/],
    ['no type', { ce_type: '' }, /ce_type/],
    ['no source', { ce_source: undefined }, /ce_source/],
    ['no subject', { ce_subject: undefined }, /ce_subject/],
    ['a time with an offset beyond ±14:00', { ce_time: '2026-12-01T10:00:00+15:00' }, /ce_time/],
  ])('refuses a record with %s, saying what is wrong', (_what, headers, reason) => {
    const record = toKafkaRecord(event);
    expect(() => fromKafkaRecord({ ...record, headers: { ...record.headers, ...headers } })).toThrow(reason);
  });

  it('refuses a record without a key or with a value that is not JSON', () => {
    const record = toKafkaRecord(event);
    expect(() => fromKafkaRecord({ ...record, key: null })).toThrow(/no key/);
    expect(() => fromKafkaRecord({ ...record, value: '{' })).toThrow(EnvelopeError);
  });
});
