import { describe, expect, it } from 'vitest';
import { eventInput, eventPatch, listQuery } from './schema.ts';
import { sampleEvent } from './testing/fixtures.ts';

const pathsOf = (result: { error?: { issues: { path: PropertyKey[] }[] } }) => result.error?.issues.map((i) => i.path.join('.'));

describe('times in the catalog contract', () => {
  it('stores what it accepts as UTC', () => {
    const parsed = eventInput.parse(sampleEvent({ startsAt: '2027-03-01T19:00:00+05:45', endsAt: '2027-03-01T22:00:00.250-14:00' }));
    expect(parsed.startsAt).toBe('2027-03-01T13:15:00.000Z');
    expect(parsed.endsAt).toBe('2027-03-02T12:00:00.250Z');
    expect(eventPatch.parse({ startsAt: '2028-02-29T10:00:00+14:00' })).toEqual({ startsAt: '2028-02-28T20:00:00.000Z' });
  });

  it.each([
    ['endsAt', '2027-03-02T22:00:00+19:00'],
    ['startsAt', '2027-03-01T19:00:00-21:42'],
    ['startsAt', '2027-02-29T19:00:00Z'],
    ['endsAt', '2027-03-01T22:00:00.123456789Z'],
    ['startsAt', '0001-01-01T00:00:00+00:01'],
  ])('refuses %s %s, naming the field', (field, value) => {
    expect(pathsOf(eventInput.safeParse(sampleEvent({ [field]: value })))).toEqual([field]);
    expect(pathsOf(eventPatch.safeParse({ [field]: value }))).toEqual([field]);
  });

  it('compares start and end as instants, whatever their offsets', () => {
    // 19:00+01:00 is 18:00Z, so an end at 18:30Z is after it although it reads earlier.
    expect(eventInput.safeParse(sampleEvent({ startsAt: '2027-03-01T19:00:00+01:00', endsAt: '2027-03-01T18:30:00Z' })).success).toBe(true);
    expect(pathsOf(eventInput.safeParse(sampleEvent({ startsAt: '2027-03-01T19:00:00-01:00', endsAt: '2027-03-01T19:30:00Z' })))).toEqual([
      'endsAt',
    ]);
  });

  it('applies the same rule to the list filters', () => {
    expect(listQuery.parse({ from: '2027-03-11T09:24:39+14:00' }).from).toBe('2027-03-10T19:24:39.000Z');
    expect(pathsOf(listQuery.safeParse({ to: '2027-03-11T09:24:39+16:00' }))).toEqual(['to']);
    expect(pathsOf(listQuery.safeParse({ from: '2027-04-31T00:00:00Z' }))).toEqual(['from']);
  });
});
