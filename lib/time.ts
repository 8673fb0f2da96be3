import { z } from 'zod';

/**
 * The platform's one rule for times (docs/ticketing.md, "The catalog"). Accepted: an RFC 3339 date-time with
 * seconds (00–59: no leap seconds), at most three fractional digits, `Z` or an offset within
 * ±14:00 (the range of real time zones), naming a real calendar day, whose instant lies in the
 * years 0001–9999 in UTC. Stored and published in one form, UTC as Date#toISOString writes it
 * (`2027-03-01T18:00:00.000Z`): exactly representable by JavaScript's Date, PostgreSQL's timestamptz
 * and an Elasticsearch `date` (all at least millisecond precision, none beyond year 9999 in four
 * digits, PostgreSQL has no year 0), and ordered as text as in time. Refusing a fourth fractional
 * digit rather than rounding it away keeps every stored value the one the client sent.
 */
const shape =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,3})?(?:[Zz]|[+-](?:0\d|1[0-3]):[0-5]\d|[+-]14:00)$/;

const earliest = Date.parse('0001-01-01T00:00:00.000Z');
const latest = Date.parse('9999-12-31T23:59:59.999Z');

const daysIn = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

export const instantRule =
  'An RFC 3339 date-time with seconds, at most 3 fractional digits and Z or an offset within ±14:00, e.g. 2027-03-01T19:00:00+01:00; ' +
  'its instant must fall within the years 0001–9999 in UTC. Stored and returned as UTC, e.g. 2027-03-01T18:00:00.000Z.';

/** The value in its one stored form, or why it breaks the rule. */
export function toInstant(value: string): { ok: true; value: string } | { ok: false; reason: string } {
  const match = shape.exec(value);
  if (!match)
    return {
      ok: false,
      reason: 'must be an RFC 3339 date-time with seconds, at most 3 fractional digits and Z or an offset within ±14:00',
    };
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  if (day > daysIn(year, month)) return { ok: false, reason: `${match.slice(1, 4).join('-')} is not a day of the calendar` };
  // The shape is the ECMAScript date-time format (once T and Z are upper case), which Date parses exactly.
  const time = Date.parse(value.toUpperCase());
  if (!(time >= earliest && time <= latest)) return { ok: false, reason: 'must fall within the years 0001–9999 in UTC' };
  return { ok: true, value: new Date(time).toISOString() };
}

/** A time in a request: checked by the rule and normalised to UTC; documented as a date-time with the rule's pattern. */
export const instant = z
  .string()
  .regex(shape, 'must be an RFC 3339 date-time with seconds, at most 3 fractional digits and Z or an offset within ±14:00')
  .meta({ format: 'date-time', description: instantRule })
  .transform((value, ctx) => {
    const result = toInstant(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.reason, input: value });
    return z.NEVER;
  });
