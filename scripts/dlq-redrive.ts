/**
 * `make dlq-redrive GROUP=<group> [REASON=<substring or /regex/flags>] [OFFSETS=<[partition:]from-to,...>] [DRY_RUN=1]`
 *
 * Once the cause of a dead letter is fixed: reads `<group>.dlq` from the beginning up to the end
 * offsets it had when the command started (so it terminates while consumers keep dead-lettering),
 * selects records by the filters, and republishes each to the topic in its `dlq-topic` header with
 * its key, value and original headers — the `dlq-*` headers removed, `dlq-redriven-from:
 * <dlq topic>/<partition>/<offset>` added. The decisions are lib/dlq-redrive.ts, the Kafka side
 * lib/dead-letter-topic.ts (the console redrives through the same); this is the command line.
 */
import { pino } from 'pino';
import { z } from 'zod';
import { env } from '../lib/config.ts';
import { redrive } from '../lib/dead-letter-topic.ts';
import { formatReport, idempotenceNote, parseOffsets, parseReason, type RedriveFilter } from '../lib/dlq-redrive.ts';
import { kafkaSecurity } from '../lib/kafka.ts';
import { readDevState } from './local/dev-state.ts';

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
