import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultInboxRetentionHours, Inbox, inboxRetentionHours, inboxRetentionHoursFor } from './inbox.ts';
import { idempotencyKeysRetention, idempotencyKeyTtlHours, pruneStatement } from './retention.ts';

describe('pruneStatement', () => {
  it('deletes one batch of rows past their age, in seconds', () => {
    expect(pruneStatement(idempotencyKeysRetention(24), 1000)).toEqual({
      text: 'DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2))',
      values: [86_400, 1000],
    });
  });

  it("keeps to an inbox's own group", () => {
    const inbox = new Inbox({ pool: undefined as never, group: 'ledger' });
    const { text, values } = pruneStatement(inbox.retention(3_600_000), 500);
    expect(text).toContain('received_at < now() - make_interval(secs => $1) AND consumer_group = $3 LIMIT $2');
    expect(values).toEqual([3_600, 500, 'ledger']);
  });

  it('refuses names that are not plain identifiers', () => {
    expect(() => pruneStatement({ table: 'inbox; DROP TABLE x', column: 'received_at', maxAgeMs: 1 }, 1)).toThrow(/identifier/);
    expect(() => pruneStatement({ table: 'inbox', column: 'received_at', maxAgeMs: 1, scope: { column: 'a b', value: 'x' } }, 1)).toThrow(
      /identifier/,
    );
  });
});

describe('retention settings', () => {
  it('keeps an Idempotency-Key 24 h unless told otherwise', () => {
    const schema = z.object({ IDEMPOTENCY_KEY_TTL_HOURS: idempotencyKeyTtlHours });
    expect(schema.parse({}).IDEMPOTENCY_KEY_TTL_HOURS).toBe(24);
    expect(schema.parse({ IDEMPOTENCY_KEY_TTL_HOURS: '48' }).IDEMPOTENCY_KEY_TTL_HOURS).toBe(48);
    expect(schema.safeParse({ IDEMPOTENCY_KEY_TTL_HOURS: '0' }).success).toBe(false);
  });

  it("remembers an inbox id past the topic's retention and the segment a record can outlive it by", () => {
    expect(inboxRetentionHoursFor(7)).toBe(15 * 24);
    expect(inboxRetentionHoursFor(30)).toBe(38 * 24);
    // The default is safe for the longest retention of a consumed topic (payments.events, ledger.events: 30 d).
    expect(defaultInboxRetentionHours).toBeGreaterThanOrEqual(30 * 24);
    const schema = z.object({ INBOX_RETENTION_HOURS: inboxRetentionHours(7) });
    expect(schema.parse({}).INBOX_RETENTION_HOURS).toBe(360);
    expect(schema.parse({ INBOX_RETENTION_HOURS: '200' }).INBOX_RETENTION_HOURS).toBe(200);
    expect(schema.safeParse({ INBOX_RETENTION_HOURS: '-1' }).success).toBe(false);
  });
});
