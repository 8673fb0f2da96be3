/**
 * `make dlq-redrive GROUP=<group> [REASON=<substring or /regex/flags>] [OFFSETS=<[partition:]from-to,...>] [DRY_RUN=1]`
 *
 * Once the cause of a dead letter is fixed: reads `<group>.dlq` from the beginning up to the end
 * offsets it had when the command started (so it terminates while consumers keep dead-lettering),
 * selects records by the filters, and republishes each to the topic in its `dlq-topic` header with
 * its key, value and original headers — the `dlq-*` headers removed, `dlq-redriven-from:
 * <dlq topic>/<partition>/<offset>` added — through an idempotent producer with acks=all. The
 * decisions are lib/dlq-redrive.ts; this is the Kafka side and the command line.
 *
 * Reading commits nothing anywhere that matters: kafkajs has no group-less consumer (no assign()),
 * so the reader joins a group of its own, `eventide-dlq-redrive-<uuid>`, with auto-commit off, and
 * the group is deleted afterwards, so it leaves no trace in the group list or lag dashboards. The
 * dead-letter topic itself is left as it is.
 */
import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { env } from '../lib/config.ts';
import { deadLetterTopic } from '../lib/consumer/dead-letter.ts';
import {
  type DeadLetterRecord,
  emptyReport,
  formatReport,
  idempotenceNote,
  moveOrSkip,
  parseOffsets,
  parseReason,
  type RedriveFilter,
  type RedrivenRecord,
  type RedriveReport,
  tally,
} from '../lib/dlq-redrive.ts';
import { type KafkaSecurity, kafkaClient, kafkaSecurity } from '../lib/kafka.ts';
import { readDevState } from './local/dev-state.ts';

export interface RedriveOptions {
  brokers: string[];
  /** TLS and SCRAM as the services use them (KAFKA_CA, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD); none for a plain listener. */
  security?: KafkaSecurity;
  /** The consumer group: its dead letters are in `<group>.dlq`. */
  group: string;
  filter: RedriveFilter;
  dryRun: boolean;
  log: Logger;
  /** Give up when no batch arrives for this long before every partition reached its end (default 30 s). */
  idleTimeoutMs?: number;
}

export interface RedriveResult extends RedriveReport {
  /** The throwaway group the reader used (deleted afterwards); undefined when there was nothing to read. */
  readerGroup?: string;
}

type Admin = ReturnType<ReturnType<typeof kafkaClient>['admin']>;

/** Best effort: a group that committed nothing may already be gone, which is what we want anyway. */
async function deleteGroup(admin: Admin, groupId: string, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (error) {
      const codes = ((error as { groups?: { errorCode?: number; error?: { type?: string } }[] }).groups ?? []).map((g) => g.error?.type);
      if (codes.includes('GROUP_ID_NOT_FOUND')) return;
      if (attempt >= 5) {
        log.warn({ err: error, groupId }, 'could not delete the reader group; it holds no offsets and expires on its own');
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { brokers, security = {}, group, filter, dryRun, log, idleTimeoutMs = 30_000 } = options;
  const dlqTopic = deadLetterTopic(group);
  const kafka = kafkaClient({ clientId: 'eventide-dlq-redrive', brokers, ...security, log });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = new Set(await admin.listTopics());
    if (!topics.has(dlqTopic)) throw new Error(`topic ${dlqTopic} does not exist: is ${group} a consumer group with a dead-letter topic?`);
    // End offsets first: what arrives while we read is left for the next redrive, so this terminates.
    const offsets = await admin.fetchTopicOffsets(dlqTopic);
    const report: RedriveResult = emptyReport({
      dlqTopic,
      dryRun,
      filter,
      endOffsets: Object.fromEntries(offsets.map((p) => [p.partition, p.high])),
    });
    const pending = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    if (pending.size === 0) return report;

    const readerGroup = `eventide-dlq-redrive-${randomUUID()}`;
    report.readerGroup = readerGroup;
    const consumer = kafka.consumer({ groupId: readerGroup, maxBytesPerPartition: 2 * 1024 * 1024 });
    const producer = dryRun ? undefined : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const context = { filter, dlqTopic, topicExists: (topic: string) => topics.has(topic) };
    try {
      await producer?.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        let idle: NodeJS.Timeout | undefined;
        const fail = (error: unknown) => {
          failed = true;
          clearTimeout(idle);
          reject(error);
        };
        const waitForProgress = () => {
          clearTimeout(idle);
          idle = setTimeout(() => {
            const short = [...pending].map(([p, end]) => `${p} (end ${end})`).join(', ');
            fail(
              new Error(`no records for ${idleTimeoutMs} ms with partition(s) ${short} not read to the end; ${report.read} read so far`),
            );
          }, idleTimeoutMs);
        };
        waitForProgress();
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              const end = pending.get(batch.partition);
              if (failed || end === undefined) return;
              try {
                const out = new Map<string, RedrivenRecord[]>();
                for (const message of batch.messages) {
                  if (BigInt(message.offset) >= end) break;
                  const record: DeadLetterRecord = {
                    partition: batch.partition,
                    offset: message.offset,
                    key: message.key,
                    value: message.value,
                    headers: message.headers ?? {},
                  };
                  const decision = moveOrSkip(record, context);
                  tally(report, record, decision);
                  if (decision.action === 'move')
                    out.set(decision.record.topic, [...(out.get(decision.record.topic) ?? []), decision.record]);
                }
                if (producer && out.size > 0) {
                  await producer.sendBatch({
                    acks: -1,
                    topicMessages: [...out].map(([topic, records]) => ({
                      topic,
                      messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
                    })),
                  });
                }
                await heartbeat();
                waitForProgress();
                if (BigInt(batch.lastOffset()) >= end - 1n) {
                  pending.delete(batch.partition);
                  consumer.pause([{ topic: dlqTopic, partitions: [batch.partition] }]);
                  if (pending.size === 0) {
                    clearTimeout(idle);
                    resolve();
                  }
                }
              } catch (error) {
                // Not rethrown: kafkajs would retry the batch and count (and maybe publish) it twice.
                fail(error);
              }
            },
          })
          .catch(fail);
      });
    } finally {
      await consumer.disconnect();
      await producer?.disconnect();
      await deleteGroup(admin, readerGroup, log);
    }
    return report;
  } finally {
    await admin.disconnect();
  }
}

const usage = `usage: make dlq-redrive GROUP=<consumer group> [REASON=<substring>|REASON=/<regex>/<flags>] [OFFSETS=<ranges>] [DRY_RUN=1] [KAFKA_BROKERS=host:port,...]
  Republishes records of <GROUP>.dlq to the topic in their dlq-topic header, read up to the end offsets at start.
  REASON   case-sensitive substring of the dlq-reason header, or /regex/ with flags i, m, s, u, v
  OFFSETS  offsets in <GROUP>.dlq, inclusive, comma-separated: 10-20 (every partition), 0:10-20 (partition 0), 1:5, 3:100- (to the end)
  DRY_RUN  1: read, select and report what would move; publish nothing
  KAFKA_BROKERS  default: the broker of a running 'make dev'
  KAFKA_CA, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD  a TLS + SCRAM listener, as the services read them (production: from the
           cluster CA Secret and a KafkaUser's Secret)
  ${idempotenceNote}`;

/** A filter's parser as a zod transform: its error becomes an issue of that variable. */
function checked<T>(parse: (text: string) => { ok: true; value: T } | { ok: false; error: string }) {
  return (text: string | undefined, ctx: z.RefinementCtx): T | undefined => {
    if (text === undefined) return undefined;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.error.replace(/^(REASON|OFFSETS) /, '') });
    return z.NEVER;
  };
}

const blankIsUnset = (v: unknown) => (v === '' ? undefined : v);

function devBrokers(): string | undefined {
  try {
    return readDevState().kafkaBrokers;
  } catch {
    return undefined;
  }
}

export const settings = z
  .object({
    GROUP: z.preprocess(
      blankIsUnset,
      z
        .string({ error: 'required: the consumer group whose <GROUP>.dlq to redrive' })
        .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only (a Kafka topic name)')
        .max(245, 'too long for a topic name with ".dlq"'),
    ),
    REASON: z.preprocess(blankIsUnset, z.string().optional().transform(checked(parseReason))),
    OFFSETS: z.preprocess(blankIsUnset, z.string().optional().transform(checked(parseOffsets))),
    DRY_RUN: z.preprocess(blankIsUnset, z.enum(['0', '1', 'true', 'false'], { error: 'must be 1 or 0' }).default('0')),
    KAFKA_BROKERS: z.preprocess(
      blankIsUnset,
      z
        .string({ error: "not set, and no 'make dev' is running here to take it from (.eventide/dev.json)" })
        .transform((s) => s.split(',').map((b) => b.trim()))
        .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'each broker is host:port'))),
    ),
    KAFKA_CA: z.preprocess(blankIsUnset, env.kafkaCa),
    KAFKA_SASL_USERNAME: z.preprocess(blankIsUnset, env.kafkaSaslUsername),
    KAFKA_SASL_PASSWORD: z.preprocess(blankIsUnset, env.kafkaSaslPassword),
    LOG_LEVEL: z.preprocess(blankIsUnset, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn')),
  })
  .refine((e) => Boolean(e.KAFKA_SASL_USERNAME) === Boolean(e.KAFKA_SASL_PASSWORD), {
    message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together: set both or neither',
    path: ['KAFKA_SASL_PASSWORD'],
  })
  .transform((env) => {
    const filter: RedriveFilter = {};
    if (env.REASON) filter.reason = env.REASON;
    if (env.OFFSETS) filter.offsets = env.OFFSETS;
    return {
      group: env.GROUP,
      brokers: env.KAFKA_BROKERS,
      security: kafkaSecurity(env),
      dryRun: env.DRY_RUN === '1' || env.DRY_RUN === 'true',
      filter,
      logLevel: env.LOG_LEVEL,
    };
  });

async function main(): Promise<void> {
  const parsed = settings.safeParse({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS || devBrokers() });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    console.error(`make dlq-redrive: ${problems.length} problem(s) with the settings:\n${problems.join('\n')}\n\n${usage}`);
    process.exit(2);
  }
  const { group, brokers, security, dryRun, filter, logLevel } = parsed.data;
  // The log (kafkajs's warnings) goes to stderr; stdout is the report.
  const log = pino({ level: logLevel, name: 'dlq-redrive' }, pino.destination(2));
  try {
    console.log(formatReport(await redrive({ brokers, security, group, filter, dryRun, log })));
  } catch (error) {
    console.error(`make dlq-redrive: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (import.meta.main) await main();
