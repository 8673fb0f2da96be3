import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeIdCursor, decodeTimeIdCursor, encodeIdCursor, encodeTimeIdCursor } from './cursor.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('page cursors', () => {
  it('takes back every cursor it wrote', () => {
    const id = randomUUID();
    expect(decodeIdCursor(encodeIdCursor(id))).toBe(id);
    for (const instant of ['2027-03-01T18:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])
      expect(decodeTimeIdCursor(encodeTimeIdCursor(instant, id))).toEqual([instant, id]);
  });

  it.each([
    ['36 dashes', b64('-'.repeat(36))],
    ['a UUID in upper case', b64(randomUUID().toUpperCase())],
    ['a UUID without dashes', b64(randomUUID().replaceAll('-', ''))],
    ['NUL', b64(`${randomUUID()}\u0000`)],
    ['the id itself, not encoded', randomUUID()],
    ['not base64url', '%%%'],
    ['padding', `${encodeIdCursor(randomUUID())}==`],
    ['empty', ''],
    ['very long', 'A'.repeat(10_000)],
  ])('refuses an id cursor it did not write: %s', (_, cursor) => {
    expect(decodeIdCursor(cursor)).toBeUndefined();
  });

  const id = randomUUID();
  it.each([
    ['year 0', b64(JSON.stringify(['0000-01-01T00:00:00.000Z', id]))],
    ['year 10000', b64(JSON.stringify(['+010000-01-01T00:00:00.000Z', id]))],
    ['an offset (not the stored form)', b64(JSON.stringify(['2027-03-01T19:00:00.000+01:00', id]))],
    ['no milliseconds (not the stored form)', b64(JSON.stringify(['2027-03-01T18:00:00Z', id]))],
    ['February 30th', b64(JSON.stringify(['2027-02-30T18:00:00.000Z', id]))],
    ['a time that is no time', b64(JSON.stringify(['yesterday', id]))],
    ['36 dashes for the id', b64(JSON.stringify(['2027-03-01T18:00:00.000Z', '-'.repeat(36)]))],
    ['NUL in the id', b64(JSON.stringify(['2027-03-01T18:00:00.000Z', `${id}\u0000`]))],
    ['three parts', b64(JSON.stringify(['2027-03-01T18:00:00.000Z', id, 1]))],
    ['numbers', b64(JSON.stringify([1, 2]))],
    ['spaces in the JSON', b64(JSON.stringify(['2027-03-01T18:00:00.000Z', id], null, 1))],
    ['not JSON', b64('[nope')],
    ['an id cursor', encodeIdCursor(id)],
  ])('refuses a time-and-id cursor it did not write: %s', (_, cursor) => {
    expect(decodeTimeIdCursor(cursor)).toBeUndefined();
  });
});
