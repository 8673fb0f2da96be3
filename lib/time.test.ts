import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instant, toInstant } from './time.ts';

describe('the time rule', () => {
  it.each([
    ['2027-03-01T19:00:00Z', '2027-03-01T19:00:00.000Z'],
    ['2027-03-01T19:00:00+14:00', '2027-03-01T05:00:00.000Z'],
    ['2027-03-01T19:00:00-14:00', '2027-03-02T09:00:00.000Z'],
    ['2027-03-01T19:00:00+05:45', '2027-03-01T13:15:00.000Z'],
    ['2027-03-01T19:00:00-00:00', '2027-03-01T19:00:00.000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
    ['2027-03-01T19:00:00.5Z', '2027-03-01T19:00:00.500Z'],
    ['2027-03-01T19:00:00.123+01:00', '2027-03-01T18:00:00.123Z'],
    ['2027-03-01t19:00:00z', '2027-03-01T19:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0001-01-01T14:00:00+14:00', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T10:00:00-13:59', '9999-12-31T23:59:00.000Z'],
  ])('accepts %s as %s', (value, utc) => {
    expect(toInstant(value)).toEqual({ ok: true, value: utc });
  });

  it.each([
    ['an offset beyond +14:00', '2027-03-02T22:00:00+19:00', /offset within ±14:00/],
    ['an offset beyond -14:00', '2027-03-01T19:00:00-21:42', /offset within ±14:00/],
    ['+14:01', '2027-03-01T19:00:00+14:01', /offset within ±14:00/],
    ['+16:00', '2027-03-11T09:24:39+16:00', /offset within ±14:00/],
    ['an offset minute of 60', '2027-03-01T19:00:00+05:60', /offset within ±14:00/],
    ['minute 60', '2027-03-01T19:60:00Z', /RFC 3339/],
    ['a leap second', '2027-06-30T23:59:60Z', /RFC 3339/],
    ['hour 24', '2027-03-01T24:00:00Z', /RFC 3339/],
    ['a fourth fractional digit', '2027-03-01T19:00:00.1234Z', /3 fractional digits/],
    ['nanoseconds', '2027-03-01T19:00:00.123456789Z', /3 fractional digits/],
    ['no offset', '2027-03-01T19:00:00', /RFC 3339/],
    ['no seconds', '2027-03-01T19:00Z', /RFC 3339/],
    ['a date alone', '2027-03-01', /RFC 3339/],
    ['an offset without a colon', '2027-03-01T19:00:00+0100', /RFC 3339/],
    ['29 February of a common year', '2027-02-29T19:00:00Z', /2027-02-29 is not a day/],
    ['29 February of 1900', '1900-02-29T19:00:00Z', /1900-02-29 is not a day/],
    ['31 April', '2027-04-31T19:00:00Z', /not a day/],
    ['year 0000', '0000-06-01T00:00:00Z', /years 0001–9999 in UTC/],
    ['year 0001 that is year 0000 in UTC', '0001-01-01T00:00:00+01:00', /years 0001–9999 in UTC/],
    ['year 9999 that is year 10000 in UTC', '9999-12-31T23:00:00-14:00', /years 0001–9999 in UTC/],
    ['words', 'yesterday', /RFC 3339/],
  ])('refuses %s', (_what, value, reason) => {
    const result = toInstant(value);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('as a zod schema, normalises what it accepts and names the field it refuses', () => {
    const schema = z.object({ startsAt: instant });
    expect(schema.parse({ startsAt: '2027-03-01T19:00:00+01:00' })).toEqual({ startsAt: '2027-03-01T18:00:00.000Z' });
    const refused = schema.safeParse({ startsAt: '2027-02-29T19:00:00Z' });
    expect(refused.error?.issues).toEqual([
      expect.objectContaining({ path: ['startsAt'], message: '2027-02-29 is not a day of the calendar' }),
    ]);
    expect(schema.safeParse({ startsAt: '2027-03-01T19:00:00+19:00' }).error?.issues).toHaveLength(1);
  });

  it('is documented as a date-time with the pattern it checks', () => {
    const doc = z.toJSONSchema(instant, { io: 'input' }) as { format?: string; pattern?: string; description?: string };
    expect(doc.format).toBe('date-time');
    expect(doc.description).toMatch(/±14:00/);
    const pattern = new RegExp(doc.pattern ?? '', 'u');
    expect(pattern.test('2027-03-01T19:00:00+14:00')).toBe(true);
    expect(pattern.test('2027-03-01T19:00:00+14:01')).toBe(false);
  });
});
