/**
 * `make reconcile`: every merchant's money from the ledger's journal, its balances and the payments
 * database, read at one consistent point (movements in flight are not drift), and every event
 * payments.events still holds checked against the journal (services/ledger/consistent-reconcile.ts).
 * Exit 0 when the books agree; 1 on drift, an event the journal lacks, an unbalanced journal or a
 * negative balance; 2 for settings; 3 when no consistent point was reached in time (the ledger is behind).
 *
 * Reads a running `make dev`, or LEDGER_DATABASE_URL, PAYMENTS_DATABASE_URL and KAFKA_BROKERS with the
 * services' own TLS and SCRAM settings (KAFKA_CA, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD) — on a
 * cluster, from the cluster CA Secret and a KafkaUser's Secret.
 */
import pg from 'pg';
import { z } from 'zod';
import { env } from '../lib/config.ts';
import { kafkaClient, kafkaSecurity } from '../lib/kafka.ts';
import { reconcileConsistently } from '../services/ledger/consistent-reconcile.ts';
import { readDevState } from './local/dev-state.ts';

const blankIsUnset = (v: unknown) => (v === '' ? undefined : v);
const settings = z
  .object({
    LEDGER_DATABASE_URL: z.preprocess(blankIsUnset, z.string().startsWith('postgres', 'a postgres:// URL')),
    PAYMENTS_DATABASE_URL: z.preprocess(blankIsUnset, z.string().startsWith('postgres', 'a postgres:// URL')),
    KAFKA_BROKERS: z.preprocess(blankIsUnset, env.kafkaBrokers),
    KAFKA_CA: z.preprocess(blankIsUnset, env.kafkaCa),
    KAFKA_SASL_USERNAME: z.preprocess(blankIsUnset, env.kafkaSaslUsername),
    KAFKA_SASL_PASSWORD: z.preprocess(blankIsUnset, env.kafkaSaslPassword),
    /** The ledger's consumer group on payments.events. */
    LEDGER_GROUP: z.preprocess(blankIsUnset, z.string().min(1).default('ledger')),
    /** How long to wait for the ledger to catch up and to read the topic. */
    TIMEOUT_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).max(3600).default(60)),
  })
  .refine((e) => Boolean(e.KAFKA_SASL_USERNAME) === Boolean(e.KAFKA_SASL_PASSWORD), {
    message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together: set both or neither',
    path: ['KAFKA_SASL_PASSWORD'],
  });

/** The environment, with a running `make dev` filling in what it does not name. */
function environment(): Record<string, string | undefined> {
  const given = process.env;
  if (given.LEDGER_DATABASE_URL && given.PAYMENTS_DATABASE_URL && given.KAFKA_BROKERS) return given;
  try {
    const state = readDevState();
    const database = (name: string) => Object.assign(new URL(state.databaseUrl), { pathname: `/${name}` }).toString();
    return {
      LEDGER_DATABASE_URL: database('ledger'),
      PAYMENTS_DATABASE_URL: database('payments'),
      KAFKA_BROKERS: state.kafkaBrokers,
      ...given,
    };
  } catch {
    return given;
  }
}

const parsed = settings.safeParse(environment());
if (!parsed.success) {
  console.error(
    `make reconcile: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n` +
      "(start 'make dev', or set LEDGER_DATABASE_URL, PAYMENTS_DATABASE_URL and KAFKA_BROKERS, and KAFKA_CA/KAFKA_SASL_* for a secure listener)",
  );
  process.exit(2);
}
const config = parsed.data;
const ledgerDb = new pg.Pool({ connectionString: config.LEDGER_DATABASE_URL, max: 2 });
const paymentsDb = new pg.Pool({ connectionString: config.PAYMENTS_DATABASE_URL, max: 2 });
try {
  const report = await reconcileConsistently({
    ledgerDb,
    paymentsDb,
    kafka: kafkaClient({ clientId: 'reconcile', brokers: config.KAFKA_BROKERS, ...kafkaSecurity(config) }),
    ledgerGroup: config.LEDGER_GROUP,
    timeoutMs: config.TIMEOUT_SECONDS * 1000,
  });
  console.log(
    `reconcile: ${report.merchants} merchants at one point (${report.inFlight} movements in flight set aside), ` +
      `${report.window.events} money events on payments.events checked against the journal (${report.window.duplicates} redelivered copies ignored), ` +
      `${report.unbalanced} unbalanced journal transactions, ${report.negative} negative balances, ` +
      `${report.drift.length} merchants drifting, ${report.window.problems.length} events not booked as published`,
  );
  for (const d of report.drift) console.log(`  drift ${d.merchantId}: ${JSON.stringify(d.values)}`);
  for (const p of report.window.problems) console.log(`  event ${p.eventId}: ${p.problem}`);
  const bad = report.drift.length + report.window.problems.length + report.unbalanced + report.negative;
  process.exitCode = bad > 0 ? 1 : 0;
} catch (error) {
  console.error(`make reconcile: ${(error as Error).message}`);
  process.exitCode = 3;
} finally {
  await Promise.allSettled([ledgerDb.end(), paymentsDb.end()]);
}
