import { deadLetterHeader, deadLetterHeaderPrefix, redrivenFromHeader } from './consumer/dead-letter.ts';

/**
 * Dead-letter redrive, the pure part: which records of `<group>.dlq` a redrive selects, what each
 * selected record becomes when it goes back to the topic named in its `dlq-topic` header, and the
 * report. No I/O here: the adapter (scripts/dlq-redrive.ts) reads the topic and publishes.
 *
 * A redrive does not dedupe. A record redriven twice arrives twice, which is harmless because
 * consumers are idempotent (the indexer uses external versions, the inbox records `ce_id`).
 */

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type Headers = Record<string, HeaderValue>;

/** One record read from the dead-letter topic, as the Kafka client hands it over. */
export interface DeadLetterRecord {
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Headers;
}

/** A record to publish: the original key, value and headers, the `dlq-*` ones replaced by one. */
export interface RedrivenRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Headers;
}

/** `[partition:]from-to`, both inclusive; `to` absent means "to the end". */
export interface OffsetRange {
  partition?: number;
  from: bigint;
  to?: bigint;
}

export interface ReasonFilter {
  /** As the user wrote it, for the report. */
  text: string;
  matches(reason: string): boolean;
}

export interface RedriveFilter {
  reason?: ReasonFilter;
  /** A record is selected when any range covers it. */
  offsets?: OffsetRange[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const regexLiteral = /^\/(.*)\/([a-z]*)$/s;
const allowedFlags = new Set(['i', 'm', 's', 'u', 'v']);

/**
 * `/pattern/flags` is a regular expression (flags i, m, s, u, v: g and y would make matching
 * stateful); anything else is a case-sensitive substring of the `dlq-reason` header.
 */
export function parseReason(text: string): Parsed<ReasonFilter> {
  const literal = regexLiteral.exec(text);
  if (!literal) return { ok: true, value: { text: JSON.stringify(text), matches: (reason) => reason.includes(text) } };
  const [, pattern = '', flags = ''] = literal;
  const bad = [...flags].filter((f) => !allowedFlags.has(f));
  if (bad.length > 0) return { ok: false, error: `REASON ${text}: flag(s) ${bad.join('')} not allowed (use i, m, s, u or v)` };
  try {
    const regex = new RegExp(pattern, flags);
    return { ok: true, value: { text, matches: (reason) => regex.test(reason) } };
  } catch (error) {
    return { ok: false, error: `REASON ${text}: not a regular expression (${(error as Error).message})` };
  }
}

const rangeItem = /^(?:(\d+):)?(\d+)(?:-(\d*))?$/;

/**
 * A comma-separated list of `[partition:]from-to` (inclusive), `[partition:]from-` (to the end) or
 * `[partition:]offset`: `10-20` is offsets 10 to 20 of every partition, `0:10-20,1:5` offsets 10 to
 * 20 of partition 0 and offset 5 of partition 1 (partitions not named are not selected).
 */
export function parseOffsets(text: string): Parsed<OffsetRange[]> {
  const ranges: OffsetRange[] = [];
  const problems: string[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = rangeItem.exec(item);
    if (!m) {
      problems.push(`"${item}" is not [partition:]from-to`);
      continue;
    }
    const [, partition, from = '0', to] = m;
    const range: OffsetRange = { from: BigInt(from) };
    if (partition !== undefined) range.partition = Number(partition);
    if (to === undefined) range.to = range.from;
    else if (to !== '') range.to = BigInt(to);
    if (range.to !== undefined && range.to < range.from) problems.push(`"${item}" ends before it starts`);
    else ranges.push(range);
  }
  if (problems.length > 0) return { ok: false, error: `OFFSETS ${text}: ${problems.join('; ')}` };
  return { ok: true, value: ranges };
}

/** Both filters from their text (absent or empty: no filter), with every problem at once. */
export function parseFilter(input: { reason?: string | undefined; offsets?: string | undefined }): Parsed<RedriveFilter> {
  const filter: RedriveFilter = {};
  const problems: string[] = [];
  if (input.reason) {
    const reason = parseReason(input.reason);
    if (reason.ok) filter.reason = reason.value;
    else problems.push(reason.error);
  }
  if (input.offsets) {
    const offsets = parseOffsets(input.offsets);
    if (offsets.ok) filter.offsets = offsets.value;
    else problems.push(offsets.error);
  }
  return problems.length > 0 ? { ok: false, error: problems.join('\n') } : { ok: true, value: filter };
}

export function describeRange(r: OffsetRange): string {
  const span = r.to === r.from ? `${r.from}` : `${r.from}-${r.to ?? ''}`;
  return r.partition === undefined ? span : `${r.partition}:${span}`;
}

export function describeFilter(filter: RedriveFilter): string {
  const parts: string[] = [];
  if (filter.reason) parts.push(`reason ${filter.reason.text}`);
  if (filter.offsets) parts.push(`offsets ${filter.offsets.map(describeRange).join(',')}`);
  return parts.length > 0 ? parts.join(' and ') : 'none (every record)';
}

/** One header's value as text: the last one when the header is repeated, undefined when absent. */
export function headerText(value: HeaderValue): string | undefined {
  const last = Array.isArray(value) ? value.at(-1) : value;
  return last === undefined ? undefined : last.toString();
}

export type Selection = { selected: true } | { selected: false; why: string };

export function select(record: DeadLetterRecord, filter: RedriveFilter): Selection {
  if (filter.offsets) {
    const offset = BigInt(record.offset);
    const covered = filter.offsets.some(
      (r) => (r.partition === undefined || r.partition === record.partition) && offset >= r.from && (r.to === undefined || offset <= r.to),
    );
    if (!covered) return { selected: false, why: 'outside OFFSETS' };
  }
  if (filter.reason) {
    const reason = headerText(record.headers[deadLetterHeader.reason]);
    if (reason === undefined) return { selected: false, why: 'no dlq-reason header' };
    if (!filter.reason.matches(reason)) return { selected: false, why: 'reason does not match' };
  }
  return { selected: true };
}

export type Redrive = { ok: true; record: RedrivenRecord } | { ok: false; skip: string };

/**
 * The record to republish: key and value as they are, the original headers (repeated ones too)
 * without any `dlq-*` header, plus `dlq-redriven-from`. A record that was redriven and dead-lettered
 * again so carries only its latest origin.
 */
export function toRedrivenRecord(record: DeadLetterRecord, dlqTopic: string): Redrive {
  const target = record.headers[deadLetterHeader.topic];
  const values = (Array.isArray(target) ? target : [target]).filter((v) => v !== undefined).map(String);
  const topic = values[0];
  if (topic === undefined || topic === '') return { ok: false, skip: 'no dlq-topic header' };
  if (new Set(values).size > 1) return { ok: false, skip: 'several different dlq-topic headers' };
  if (topic === dlqTopic) return { ok: false, skip: 'dlq-topic is the dead-letter topic itself' };
  const headers: Headers = {};
  for (const [name, value] of Object.entries(record.headers))
    if (!name.startsWith(deadLetterHeaderPrefix) && value !== undefined) headers[name] = value;
  headers[redrivenFromHeader] = `${dlqTopic}/${record.partition}/${record.offset}`;
  return { ok: true, record: { topic, key: record.key, value: record.value, headers } };
}

export type Decision =
  | { action: 'move'; record: RedrivenRecord }
  | { action: 'skip'; why: string }
  | { action: 'not-selected'; why: string };

/** Whether a dead letter moves back, and where: the filter, then what the record becomes, then whether its target exists. */
export function moveOrSkip(
  record: DeadLetterRecord,
  context: { filter: RedriveFilter; dlqTopic: string; topicExists: (topic: string) => boolean },
): Decision {
  const selection = select(record, context.filter);
  if (!selection.selected) return { action: 'not-selected', why: selection.why };
  const redrive = toRedrivenRecord(record, context.dlqTopic);
  if (!redrive.ok) return { action: 'skip', why: redrive.skip };
  if (!context.topicExists(redrive.record.topic)) return { action: 'skip', why: `target topic ${redrive.record.topic} does not exist` };
  return { action: 'move', record: redrive.record };
}

export interface RedriveReport {
  dlqTopic: string;
  dryRun: boolean;
  filter: string;
  /** Per partition, the end offset read up to (exclusive), taken when the redrive started. */
  endOffsets: Record<number, string>;
  read: number;
  selected: number;
  notSelected: Record<string, number>;
  /** Per target topic; in a dry run, what would move. */
  moved: Record<string, number>;
  /** Per reason: how many and the first few `partition/offset`s. */
  skipped: Record<string, { count: number; examples: string[] }>;
}

export function emptyReport(o: {
  dlqTopic: string;
  dryRun: boolean;
  filter: RedriveFilter;
  endOffsets?: Record<number, string>;
}): RedriveReport {
  return {
    dlqTopic: o.dlqTopic,
    dryRun: o.dryRun,
    filter: describeFilter(o.filter),
    endOffsets: o.endOffsets ?? {},
    read: 0,
    selected: 0,
    notSelected: {},
    moved: {},
    skipped: {},
  };
}

const examplesKept = 5;

/** Counts one decision into the report (in place). */
export function tally(report: RedriveReport, record: DeadLetterRecord, decision: Decision): void {
  report.read++;
  if (decision.action === 'not-selected') {
    report.notSelected[decision.why] = (report.notSelected[decision.why] ?? 0) + 1;
    return;
  }
  report.selected++;
  if (decision.action === 'move') {
    report.moved[decision.record.topic] = (report.moved[decision.record.topic] ?? 0) + 1;
    return;
  }
  const entry = report.skipped[decision.why] ?? { count: 0, examples: [] };
  report.skipped[decision.why] = entry;
  entry.count++;
  if (entry.examples.length < examplesKept) entry.examples.push(`${record.partition}/${record.offset}`);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export const idempotenceNote =
  'Redriving the same records again is harmless: consumers are idempotent, so a duplicate has no second effect (this command does not dedupe).';

export function formatReport(r: RedriveReport): string {
  const ends = Object.entries(r.endOffsets)
    .map(([p, end]) => `${p}:${end}`)
    .join(' ');
  const lines = [
    `dlq-redrive ${r.dlqTopic}${r.dryRun ? ' — DRY RUN, nothing was published' : ''}`,
    `  read:         ${r.read} (up to the end offsets at start: ${ends || 'no partitions'})`,
    `  filter:       ${r.filter}`,
    `  selected:     ${r.selected}`,
    `  not selected: ${sum(r.notSelected)}${
      Object.keys(r.notSelected).length
        ? ` (${Object.entries(r.notSelected)
            .map(([why, n]) => `${n} ${why}`)
            .join(', ')})`
        : ''
    }`,
  ];
  const verb = r.dryRun ? 'would move' : 'moved';
  lines.push(`  ${`${verb}:`.padEnd(14)}${sum(r.moved)}`);
  for (const [topic, n] of Object.entries(r.moved).sort()) lines.push(`    ${n} → ${topic}`);
  lines.push(`  skipped:      ${Object.values(r.skipped).reduce((a, s) => a + s.count, 0)}`);
  for (const [why, s] of Object.entries(r.skipped).sort()) {
    const more = s.count > s.examples.length ? ', …' : '';
    lines.push(`    ${s.count} ${why} (partition/offset ${s.examples.join(', ')}${more})`);
  }
  lines.push(idempotenceNote);
  return lines.join('\n');
}
