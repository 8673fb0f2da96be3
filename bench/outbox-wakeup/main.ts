/**
 * How the relay is woken, measured with production durability (fsync and synchronous_commit on):
 *
 * - notify-in-tx: the write's statement also calls pg_notify (what every writer did before #30);
 *   PostgreSQL takes one database-wide lock at the commit of every notifying transaction;
 * - call-after-commit: the writer's process leads the relay and calls it after the commit;
 * - notify-after-commit: another process leads, so the writer sends one coalesced NOTIFY after its
 *   commit, outside the transaction (lib/relay-wakeup.ts).
 *
 * Writers commit one outbox row per statement, `BENCH_WRITERS` at once (default 16), for
 * `BENCH_SECONDS` (default 10) per run; the relay (lingering 2 ms) publishes to Kafka. Rounds are
 * interleaved and balanced (`BENCH_ROUNDS`, default 4). Figures: commits/s, commit → published
 * (the row's sent_at − created_at, both PostgreSQL's clock) p50/p99, and CPU per write by process.
 */
import kafkajs from 'kafkajs';
import pg from 'pg';
import { pino } from 'pino';
import { startKafka } from '../../devkit/kafka.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { percentile } from '../../devkit/stats.ts';
import { Outbox, outboxTableSql } from '../../lib/outbox.ts';
import { OutboxRelay } from '../../lib/outbox-relay.ts';
import { relayWakeup } from '../../lib/relay-wakeup.ts';
import { compareDesigns, cpuFigures, withCpu } from '../lib/compare.ts';
import { interleaved } from '../lib/rounds.ts';

const writers = Number(process.env.BENCH_WRITERS ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const topic = 'wakeup.bench';
const log = pino({ level: 'silent' });

const postgres = await startPostgres({ durable: true });
const kafka = await startKafka();
const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
const pool = new pg.Pool({ connectionString: postgres.url, max: writers + 2 });
await pool.query(outboxTableSql());
const relay = new OutboxRelay({ databaseUrl: postgres.url, brokers: kafka.brokers, log, pollMs: 1_000 });
relay.start();
while (!relay.isLeader) await new Promise((r) => setTimeout(r, 50));

type Design = 'notify-in-tx' | 'call-after-commit' | 'notify-after-commit';
const outbox = new Outbox();
const wakeups: Record<Design, (() => void) | undefined> = {
  'notify-in-tx': undefined,
  'call-after-commit': relayWakeup({ relay, pool, channel: outbox.channel, log }),
  'notify-after-commit': relayWakeup({ relay: { isLeader: false, nudge: () => undefined }, pool, channel: outbox.channel, log }),
};
const insert = outbox.insertSql(1);
const value = JSON.stringify({ padding: 'x'.repeat(400) });

interface Run {
  writes: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function run(design: Design): Promise<Run> {
  const { rows } = await pool.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM outbox');
  const after = rows[0]?.id ?? '0';
  const sql = design === 'notify-in-tx' ? `WITH o AS (${insert}) SELECT pg_notify('${outbox.channel}', 'change')` : insert;
  const wake = wakeups[design];
  const end = Date.now() + seconds * 1000;
  let writes = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (Date.now() < end) {
        await pool.query(sql, [topic, `k${w}-${writes}`, value, {}]);
        wake?.();
        writes++;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  // Published: every row of the run has its sent_at.
  for (;;) {
    const pending = await pool.query('SELECT 1 FROM outbox WHERE id > $1 AND sent_at IS NULL LIMIT 1', [after]);
    if (pending.rowCount === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const lags = await pool.query<{ ms: number }>(
    'SELECT EXTRACT(EPOCH FROM sent_at - created_at)::float8 * 1000 AS ms FROM outbox WHERE id > $1',
    [after],
  );
  const ms = lags.rows.map((r) => r.ms);
  return { writes, perSecond: writes / elapsed, p50: Math.round(percentile(ms, 50)), p99: Math.round(percentile(ms, 99)) };
}

try {
  const processes = { postgres: () => postgres.pid(), kafka: () => kafka.pid(), 'writers + relay': () => process.pid };
  for (const design of Object.keys(wakeups) as Design[]) await run(design); // warm-up
  const results = await interleaved(Object.keys(wakeups) as Design[], rounds, async (design, round) => {
    const r = await withCpu(
      processes,
      () => run(design),
      (x) => x.writes,
    );
    console.log(`round ${round + 1} ${design}: ${r.perSecond.toFixed(0)} commits/s, published p50 ${r.p50} ms, p99 ${r.p99} ms`);
    return r;
  });
  console.log(
    `\n${writers} writers, ${seconds} s per run, fsync on; medians (min–max) of ${rounds} rounds\n${compareDesigns(results, [
      { name: 'commits/s', of: (r) => r.perSecond },
      { name: 'commit → published p50 ms', of: (r) => r.p50 },
      { name: 'commit → published p99 ms', of: (r) => r.p99 },
      ...cpuFigures(results, 'write'),
    ])}`,
  );
} finally {
  await relay.stop();
  await pool.end();
  await admin.disconnect();
  await kafka.dispose();
  await postgres.dispose();
}
