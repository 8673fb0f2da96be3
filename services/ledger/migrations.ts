import type pg from 'pg';
import { inboxRetentionIndexSql, inboxTableSql } from '../../lib/inbox.ts';
import { outboxTableSql } from '../../lib/outbox.ts';
import { type Migration, migrate as migrateWith } from '../../lib/pg.ts';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: Migration[] = [
  {
    id: 1,
    name: 'double-entry journal, balances, withdrawals, inbox and outbox',
    sql: `
      -- A merchant's two accounts. The balance is the sum of the account's journal lines, kept here
      -- so the database itself refuses a negative one.
      CREATE TABLE accounts (
        merchant_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('available', 'reserved')),
        currency char(3) NOT NULL,
        balance bigint NOT NULL DEFAULT 0 CONSTRAINT balance_never_negative CHECK (balance >= 0),
        PRIMARY KEY (merchant_id, kind)
      );
      CREATE TABLE journal_transactions (
        id uuid PRIMARY KEY,
        event_id text NOT NULL,
        merchant_id uuid NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX journal_by_merchant ON journal_transactions (merchant_id, created_at, id);
      -- Accounts are "merchant:<id>:available", "merchant:<id>:reserved", or the world outside:
      -- "external:payments" (money paid in) and "external:payouts" (money paid out).
      CREATE TABLE journal_lines (
        transaction_id uuid NOT NULL REFERENCES journal_transactions (id),
        account text NOT NULL,
        amount bigint NOT NULL CHECK (amount <> 0)
      );
      CREATE INDEX journal_lines_by_transaction ON journal_lines (transaction_id);
      -- Every transaction's lines sum to zero, checked at commit (the lines go in one by one).
      CREATE FUNCTION journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT coalesce(sum(amount), 0) FROM journal_lines WHERE transaction_id = NEW.transaction_id) <> 0 THEN
          RAISE EXCEPTION 'journal transaction % does not sum to zero', NEW.transaction_id USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER journal_lines_sum_to_zero AFTER INSERT ON journal_lines
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_balanced();

      CREATE TABLE withdrawals (
        id uuid PRIMARY KEY,
        merchant_id uuid NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        state text NOT NULL CHECK (state IN ('approved', 'rejected', 'settled', 'failed')),
        settle_by timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX withdrawals_waiting ON withdrawals (settle_by) WHERE state = 'approved';
      ${inboxTableSql()}
      ${outboxTableSql()}
    `,
  },
  {
    id: 2,
    name: 'inbox ids are pruned',
    // lib/retention.ts deletes ids past INBOX_RETENTION_HOURS by this index.
    sql: inboxRetentionIndexSql(),
  },
  {
    id: 3,
    name: 'lines sum to zero, checked once per statement',
    // The ledger writes a set of transactions' lines in one INSERT (ledger.ts post), so each
    // statement checks what it inserted, once: every transaction it touches gains lines summing to
    // zero, and so every transaction sums to zero. Fewer checks than one per row at commit, each
    // of which summed the transaction again.
    sql: `
      DROP TRIGGER journal_lines_sum_to_zero ON journal_lines;
      DROP FUNCTION journal_balanced();
      CREATE FUNCTION journal_lines_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        unbalanced uuid;
      BEGIN
        SELECT transaction_id INTO unbalanced FROM inserted GROUP BY transaction_id HAVING sum(amount) <> 0 LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal transaction % does not sum to zero', unbalanced USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER journal_lines_sum_to_zero AFTER INSERT ON journal_lines
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_balanced();
    `,
  },
];

export function migrate(pool: pg.Pool): Promise<number[]> {
  return migrateWith(pool, 'eventide-ledger-migrations', migrations);
}
