import { describe, expect, it } from 'vitest';
import {
  type DeadLetterRecord,
  type Decision,
  emptyReport,
  formatReport,
  moveOrSkip,
  parseFilter,
  parseOffsets,
  parseReason,
  type RedriveFilter,
  select,
  tally,
  toRedrivenRecord,
} from './dlq-redrive.ts';

const dlqTopic = 'search-indexer.dlq';

function deadLetter(
  o: { partition?: number; offset?: string; reason?: string; topic?: string | null; extra?: DeadLetterRecord['headers'] } = {},
) {
  const headers: DeadLetterRecord['headers'] = {
    ce_id: Buffer.from('id-1'),
    ce_type: Buffer.from('catalog.event.changed.v1'),
    ...o.extra,
    'dlq-partition': Buffer.from('2'),
    'dlq-offset': Buffer.from('41'),
    'dlq-group': Buffer.from('search-indexer'),
    'dlq-attempts': Buffer.from('3'),
    'dlq-time': Buffer.from('2027-01-01T00:00:00.000Z'),
  };
  if (o.reason !== undefined) headers['dlq-reason'] = Buffer.from(o.reason);
  if (o.topic !== null) headers['dlq-topic'] = Buffer.from(o.topic ?? 'catalog.events');
  return { partition: o.partition ?? 0, offset: o.offset ?? '7', key: Buffer.from('k-1'), value: Buffer.from('{"v":1}'), headers };
}

const filter = (reason?: string, offsets?: string): RedriveFilter => {
  const parsed = parseFilter({ reason, offsets });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe('parseReason', () => {
  it.each([
    ['mapping', 'refused by the mapping', true],
    ['mapping', 'not a catalog change', false],
    ['Mapping', 'refused by the mapping', false],
    ['/mapping/i', 'refused by the MAPPING', true],
    ['/^not a/', 'not a catalog change: bad JSON', true],
    ['/^not a/', 'it is not a catalog change', false],
    ['/a|b/', 'xbx', true],
    ['/', 'a/b', true], // one slash is a substring, not a regex
    ['a.b', 'axb', false], // substrings are literal
  ])('%s against %j → %s', (text, reason, expected) => {
    const parsed = parseReason(text);
    expect(parsed.ok && parsed.value.matches(reason)).toBe(expected);
  });

  it.each([
    ['/(/', /not a regular expression/],
    ['/x/g', /flag\(s\) g not allowed/],
    ['/x/iy', /flag\(s\) y not allowed/],
  ])('refuses %s', (text, message) => {
    const parsed = parseReason(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe('parseOffsets', () => {
  it.each([
    ['10-20', [{ from: 10n, to: 20n }]],
    ['5', [{ from: 5n, to: 5n }]],
    ['5-', [{ from: 5n }]],
    [
      '0:10-20, 1:5',
      [
        { partition: 0, from: 10n, to: 20n },
        { partition: 1, from: 5n, to: 5n },
      ],
    ],
    ['3:0-', [{ partition: 3, from: 0n }]],
  ])('%s', (text, expected) => {
    expect(parseOffsets(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['20-10', /"20-10" ends before it starts/],
    ['a-b', /"a-b" is not \[partition:\]from-to/],
    ['-5', /is not/],
    ['1:2:3', /is not/],
    ['1-2,,3', /"" is not/],
  ])('refuses %s', (text, message) => {
    const parsed = parseOffsets(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('parseFilter reports the problems of both filters at once; empty text is no filter', () => {
    const parsed = parseFilter({ reason: '/(/', offsets: 'x' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.split('\n')).toEqual([expect.stringMatching(/^REASON/), expect.stringMatching(/^OFFSETS/)]);
    expect(parseFilter({ reason: '', offsets: '' })).toEqual({ ok: true, value: {} });
  });
});

describe('select', () => {
  it.each<[string, DeadLetterRecord, RedriveFilter, string | true]>([
    ['no filter selects everything', deadLetter(), filter(), true],
    ['no filter selects a record with no dlq-reason', deadLetter({ reason: undefined }), filter(), true],
    ['reason substring matches', deadLetter({ reason: 'refused by the mapping' }), filter('mapping'), true],
    ['reason does not match', deadLetter({ reason: 'not a catalog change' }), filter('mapping'), 'reason does not match'],
    ['a reason filter needs a dlq-reason', deadLetter(), filter('mapping'), 'no dlq-reason header'],
    ['offset inside a range of any partition', deadLetter({ partition: 4, offset: '15' }), filter(undefined, '10-20'), true],
    ['range ends are inclusive', deadLetter({ offset: '20' }), filter(undefined, '10-20'), true],
    ['offset outside', deadLetter({ offset: '21' }), filter(undefined, '10-20'), 'outside OFFSETS'],
    ['open range', deadLetter({ offset: '99999999999999999' }), filter(undefined, '10-'), true],
    ['other partition than the range names', deadLetter({ partition: 1, offset: '15' }), filter(undefined, '0:10-20'), 'outside OFFSETS'],
    ['second range covers it', deadLetter({ partition: 1, offset: '3' }), filter(undefined, '0:10-20,1:3'), true],
    ['both filters must hold', deadLetter({ offset: '15', reason: 'other' }), filter('mapping', '10-20'), 'reason does not match'],
    ['both hold', deadLetter({ offset: '15', reason: 'mapping' }), filter('/^map/', '10-20'), true],
  ])('%s', (_name, record, f, expected) => {
    const selection = select(record, f);
    expect(selection.selected ? true : selection.why).toBe(expected);
  });
});

describe('toRedrivenRecord', () => {
  it('keeps key, value and the original headers, drops every dlq-* header and adds where it came from', () => {
    const record = deadLetter({ partition: 2, offset: '41', reason: 'refused', extra: { multi: [Buffer.from('a'), Buffer.from('b')] } });
    const redriven = toRedrivenRecord(record, dlqTopic);
    expect(redriven).toEqual({
      ok: true,
      record: {
        topic: 'catalog.events',
        key: record.key,
        value: record.value,
        headers: {
          ce_id: Buffer.from('id-1'),
          ce_type: Buffer.from('catalog.event.changed.v1'),
          multi: [Buffer.from('a'), Buffer.from('b')],
          'dlq-redriven-from': 'search-indexer.dlq/2/41',
        },
      },
    });
  });

  it('a record redriven before carries only its latest origin', () => {
    const record = deadLetter({ offset: '9', extra: { 'dlq-redriven-from': 'search-indexer.dlq/0/1' } });
    const redriven = toRedrivenRecord(record, dlqTopic);
    expect(redriven.ok && redriven.record.headers['dlq-redriven-from']).toBe('search-indexer.dlq/0/9');
  });

  it('keeps a null key and value', () => {
    const redriven = toRedrivenRecord({ ...deadLetter(), key: null, value: null }, dlqTopic);
    expect(redriven.ok && [redriven.record.key, redriven.record.value]).toEqual([null, null]);
  });

  it.each<[string, DeadLetterRecord, string]>([
    ['no dlq-topic header', deadLetter({ topic: null }), 'no dlq-topic header'],
    ['an empty dlq-topic header', deadLetter({ topic: '' }), 'no dlq-topic header'],
    ['two different targets', { ...deadLetter(), headers: { 'dlq-topic': ['a', 'b'] } }, 'several different dlq-topic headers'],
    ['a loop back into the DLQ', deadLetter({ topic: dlqTopic }), 'dlq-topic is the dead-letter topic itself'],
  ])('skips %s', (_name, record, why) => {
    expect(toRedrivenRecord(record, dlqTopic)).toEqual({ ok: false, skip: why });
  });

  it('a repeated but equal dlq-topic header is fine', () => {
    const redriven = toRedrivenRecord({ ...deadLetter(), headers: { 'dlq-topic': [Buffer.from('t'), 't'] } }, dlqTopic);
    expect(redriven.ok && redriven.record.topic).toBe('t');
  });
});

describe('moveOrSkip and the report', () => {
  const topicExists = (t: string) => t === 'catalog.events';
  const context = (f: RedriveFilter) => ({ filter: f, dlqTopic, topicExists });

  it.each<[string, DeadLetterRecord, RedriveFilter, Decision['action'], string?]>([
    ['selected and movable', deadLetter({ reason: 'mapping' }), filter('mapping'), 'move'],
    ['not selected', deadLetter({ reason: 'other' }), filter('mapping'), 'not-selected', 'reason does not match'],
    ['selected without a target', deadLetter({ topic: null }), filter(), 'skip', 'no dlq-topic header'],
    ['selected, target missing', deadLetter({ topic: 'gone' }), filter(), 'skip', 'target topic gone does not exist'],
    // the filter comes first: a record that is not selected is never "skipped"
    [
      'not selected and without a target',
      deadLetter({ topic: null, offset: '1' }),
      filter(undefined, '5-'),
      'not-selected',
      'outside OFFSETS',
    ],
  ])('%s', (_name, record, f, action, why) => {
    const decision = moveOrSkip(record, context(f));
    expect(decision.action).toBe(action);
    if (decision.action !== 'move') expect(decision.why).toBe(why);
  });

  it('counts read, selected, moved per topic, skipped with examples, not selected; and says what it would do in a dry run', () => {
    const f = filter('mapping');
    const records = [
      deadLetter({ offset: '0', reason: 'mapping' }),
      deadLetter({ offset: '1', reason: 'mapping', topic: 'gone' }),
      deadLetter({ offset: '2', reason: 'other' }),
      deadLetter({ offset: '3', reason: 'mapping', topic: null }),
      deadLetter({ partition: 1, offset: '0', reason: 'mapping' }),
    ];
    const report = emptyReport({ dlqTopic, dryRun: true, filter: f, endOffsets: { 0: '4', 1: '1' } });
    for (const r of records) tally(report, r, moveOrSkip(r, context(f)));
    expect(report).toMatchObject({
      read: 5,
      selected: 4,
      notSelected: { 'reason does not match': 1 },
      moved: { 'catalog.events': 2 },
      skipped: {
        'target topic gone does not exist': { count: 1, examples: ['0/1'] },
        'no dlq-topic header': { count: 1, examples: ['0/3'] },
      },
    });
    const text = formatReport(report);
    expect(text).toContain('DRY RUN, nothing was published');
    expect(text).toMatch(/read: +5 \(up to the end offsets at start: 0:4 1:1\)/);
    expect(text).toContain('filter:       reason "mapping"');
    expect(text).toMatch(/selected: +4/);
    expect(text).toMatch(/not selected: 1 \(1 reason does not match\)/);
    expect(text).toMatch(/would move: +2\n {4}2 → catalog\.events/);
    expect(text).toMatch(/skipped: +2\n {4}1 no dlq-topic header \(partition\/offset 0\/3\)\n {4}1 target topic gone/);
    expect(text).toContain('consumers are idempotent');
    expect(formatReport({ ...report, dryRun: false })).toMatch(/^ {2}moved: +2$/m);
  });

  it('keeps a few examples per skip reason', () => {
    const report = emptyReport({ dlqTopic, dryRun: false, filter: filter() });
    for (let i = 0; i < 8; i++) {
      const r = deadLetter({ offset: String(i), topic: null });
      tally(report, r, moveOrSkip(r, context(filter())));
    }
    expect(report.skipped['no dlq-topic header']).toEqual({ count: 8, examples: ['0/0', '0/1', '0/2', '0/3', '0/4'] });
    expect(formatReport(report)).toContain('8 no dlq-topic header (partition/offset 0/0, 0/1, 0/2, 0/3, 0/4, …)');
  });
});
