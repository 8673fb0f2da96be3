import { describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { type Change, fromRecord, toRecord } from './events.ts';
import { publishedEvent } from './testing/fixtures.ts';

const change: Change = {
  id: '7d6f0a52-3b7e-4d1f-9a55-1d2f3c4b5a69',
  kind: 'updated',
  entityId: '0b8c1f6e-8a2d-4c5e-b7f1-2a3d4e5f6a7b',
  version: 3,
  time: new Date('2026-11-22T10:00:00.000Z'),
  data: publishedEvent('0b8c1f6e-8a2d-4c5e-b7f1-2a3d4e5f6a7b', 3, { name: 'Jazz night' }),
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('envelope', () => {
  it('puts the event id in the key and CloudEvents attributes in headers', () => {
    expect(toRecord(change)).toEqual({
      topic: 'catalog.events',
      key: change.entityId,
      value: JSON.stringify(change.data),
      headers: {
        ce_specversion: '1.0',
        ce_id: change.id,
        ce_type: 'dev.eventide.catalog.event.updated.v1',
        ce_source: '/catalog',
        ce_subject: change.entityId,
        ce_time: '2026-11-22T10:00:00.000Z',
        'content-type': 'application/json',
        traceparent: change.traceparent,
      },
    });
  });

  it('reads back what it writes', () => {
    expect(fromRecord(toRecord(change))).toEqual(change);
  });

  it.each([
    ['an unknown type', { ce_type: 'dev.eventide.other' }, /unknown ce_type/],
    ['another spec version', { ce_specversion: '0.3' }, /ce_specversion/],
    ['a subject that is not the key', { ce_subject: 'someone-else' }, /key and ce_subject/],
    ['a bad time', { ce_time: 'yesterday' }, /ce_time/],
    ['a time outside the platform rule', { ce_time: '2026-11-22T10:00:00+19:00' }, /ce_time/],
    ['a date without a time', { ce_time: '2026-11-22' }, /ce_time/],
  ])('refuses %s with a reason', (_what, headers, reason) => {
    const record = toRecord(change);
    expect(() => fromRecord({ ...record, headers: { ...record.headers, ...headers } })).toThrow(reason);
  });

  it('refuses a value that is not JSON or has no version', () => {
    const record = toRecord(change);
    expect(() => fromRecord({ ...record, value: '{nope' })).toThrow(EnvelopeError);
    expect(() => fromRecord({ ...record, value: '{"id":"x"}' })).toThrow(/version/);
  });

  it('refuses data that breaks the contract, on either side', () => {
    const record = toRecord(change);
    const { capacity: _c, ...withoutCapacity } = change.data;
    expect(() => fromRecord({ ...record, value: JSON.stringify(withoutCapacity) })).toThrow(/capacity/);
    expect(() => toRecord({ ...change, data: { ...change.data, priceMinor: 12.5 } })).toThrow(/priceMinor/);
  });
});
