/**
 * The original design's consumer, for bench/payments only: it reads completions and adds them to
 * the merchant's balance, with no inbox and no deduplication — what the seeds shipped. Offsets are
 * committed by kafkajs after each batch, so a SIGKILL mid-batch replays what it already applied.
 */
import kafkajs from 'kafkajs';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
// `applied` is the bench's witness: one row per application, so a replayed completion shows twice.
await pool.query(`
  CREATE TABLE IF NOT EXISTS balances (merchant_id uuid PRIMARY KEY, available bigint NOT NULL);
  CREATE TABLE IF NOT EXISTS applied (payment_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp());`);
const kafka = new kafkajs.Kafka({
  clientId: 'original-ledger',
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  logLevel: kafkajs.logLevel.NOTHING,
});
const consumer = kafka.consumer({ groupId: 'original-ledger' });
await consumer.connect();
await consumer.subscribe({ topic: process.env.KAFKA_TOPIC ?? 'original.payments', fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const { paymentId, merchantId, amountMinor } = JSON.parse(message.value?.toString() ?? '{}') as {
      paymentId: string;
      merchantId: string;
      amountMinor: number;
    };
    await pool.query(
      'INSERT INTO balances (merchant_id, available) VALUES ($1, $2) ON CONFLICT (merchant_id) DO UPDATE SET available = balances.available + $2',
      [merchantId, amountMinor],
    );
    await pool.query('INSERT INTO applied (payment_id) VALUES ($1)', [paymentId]);
  },
});
