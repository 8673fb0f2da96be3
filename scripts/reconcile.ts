/**
 * `make reconcile`: recomputes every merchant's money from the ledger's journal, its balances, the
 * payments database and the events on payments.events, and reports any drift to the minor unit.
 * Exit 0 when the books agree, 1 on drift (or an unbalanced journal, or a negative balance).
 * Reads a running `make dev`, or LEDGER_DATABASE_URL, PAYMENTS_DATABASE_URL and KAFKA_BROKERS.
 */
import pg from 'pg';
import { kafkaClient } from '../lib/kafka.ts';
import { fromEvents, fromLedger, fromPayments, reconcile } from '../services/ledger/reconcile.ts';
import { readDevState } from './local/dev-state.ts';

function where(): { ledger: string; payments: string; brokers: string[] } {
  const { LEDGER_DATABASE_URL, PAYMENTS_DATABASE_URL, KAFKA_BROKERS } = process.env;
  if (LEDGER_DATABASE_URL && PAYMENTS_DATABASE_URL && KAFKA_BROKERS)
    return { ledger: LEDGER_DATABASE_URL, payments: PAYMENTS_DATABASE_URL, brokers: KAFKA_BROKERS.split(',') };
  const state = readDevState();
  const database = (name: string) => Object.assign(new URL(state.databaseUrl), { pathname: `/${name}` }).toString();
  return { ledger: database('ledger'), payments: database('payments'), brokers: state.kafkaBrokers.split(',') };
}

let target: ReturnType<typeof where>;
try {
  target = where();
} catch (error) {
  console.error(`${(error as Error).message} (or set LEDGER_DATABASE_URL, PAYMENTS_DATABASE_URL and KAFKA_BROKERS)`);
  process.exit(2);
}
const ledgerDb = new pg.Pool({ connectionString: target.ledger, max: 2 });
const paymentsDb = new pg.Pool({ connectionString: target.payments, max: 2 });
try {
  const [ledger, payments, events] = await Promise.all([
    fromLedger(ledgerDb),
    fromPayments(paymentsDb),
    fromEvents(kafkaClient({ clientId: 'reconcile', brokers: target.brokers })),
  ]);
  const drift = reconcile({ journal: ledger.journal, accounts: ledger.accounts, payments, events: events.holdings });
  const merchants = new Set([...ledger.journal.keys(), ...payments.keys()]).size;
  console.log(
    `reconcile: ${merchants} merchants, ${events.events} events on payments.events (${events.duplicates} redelivered copies ignored), ` +
      `${ledger.unbalanced} unbalanced journal transactions, ${ledger.negative} negative balances, ${drift.length} merchants drifting`,
  );
  for (const d of drift) console.log(`  drift ${d.merchantId}: ${JSON.stringify(d.values)}`);
  process.exitCode = drift.length > 0 || ledger.unbalanced > 0 || ledger.negative > 0 ? 1 : 0;
} finally {
  await Promise.allSettled([ledgerDb.end(), paymentsDb.end()]);
}
