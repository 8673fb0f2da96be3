import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '../../lib/authorization.ts';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { Outbox } from '../../lib/outbox.ts';
import { type ActivationDelivery, activationEvent } from './activation-delivery.ts';
import { newActivationToken } from './activation-token.ts';
import type { TeacherChange } from './events.ts';

export interface UserRow {
  id: string;
  tenant_id: string;
  entity_type: string;
  entity_id: string;
  email: string;
  phone_number: string | null;
  role: Role;
  status: 'PendingActivation' | 'Active' | 'Disabled';
  password_hash: string | null;
  source_version: number;
  created_at: Date;
  updated_at: Date;
}

/** A user as the administrators' API shows it: never its password hash. */
export const publicUser = (row: UserRow) => ({
  id: row.id,
  tenantId: row.tenant_id,
  entityType: row.entity_type,
  entityId: row.entity_id,
  email: row.email,
  phoneNumber: row.phone_number ?? undefined,
  role: row.role,
  status: row.status,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export class AdminExists extends Error {}

/**
 * Teachers' accounts, as teacher changes make them: created → a user waiting for activation and
 * a one-time token (only its hash stored; the token leaves through identity's outbox); updated →
 * the contact details follow (a new address of a user still waiting gets a new token, the old
 * one stops working: it went to a mailbox the teacher no longer names); deleted → the user is
 * disabled and its tokens revoked. Tenants' administrators are made here too. The caller
 * runs each change once, in the inbox's transaction; an older version than the user has seen
 * changes nothing, so the order of redeliveries does not matter either.
 */
export class Accounts {
  private readonly outbox: Outbox;
  private readonly tenants: ReadonlySet<string>;
  private readonly tokenTtlMs: number;
  private readonly delivery: ActivationDelivery;

  constructor({
    tenants,
    tokenTtlMs,
    delivery = { kind: 'clear' },
    outbox = new Outbox(),
  }: {
    tenants: ReadonlySet<string>;
    tokenTtlMs: number;
    /** How the token leaves: sealed to the deliverer's key (the service's configuration decides), or in clear (benchmarks). */
    delivery?: ActivationDelivery;
    /** The publisher's, which wakes the relay after a commit; unwired, the relay polls. */
    outbox?: Outbox;
  }) {
    this.outbox = outbox;
    this.tenants = tenants;
    this.tokenTtlMs = tokenTtlMs;
    this.delivery = delivery;
  }

  /** One change (the original design's call over HTTP): a batch of one. */
  apply(tx: pg.PoolClient, change: TeacherChange): Promise<void> {
    return this.applyBatch(tx, [change]);
  }

  /**
   * Changes in partition order, as a set where they can be: one SELECT of the users they name,
   * then the users new to identity (the hot path: teachers created) in one INSERT each for users,
   * tokens and outbox. A change to a user that exists (or is about to: a later change of a teacher
   * created in this batch, which first flushes the pending creations) is applied alone, after
   * everything earlier in the batch, so each teacher's changes apply in their order.
   */
  async applyBatch(tx: pg.PoolClient, changes: readonly TeacherChange[]): Promise<void> {
    // Refused for good (retried, then dead-lettered with this reason): no school of that name exists.
    const unknown = changes.find((c) => !this.tenants.has(c.tenantId));
    if (unknown) throw new EnvelopeError(`unknown tenant ${JSON.stringify(unknown.tenantId)}`);
    const { rows } = await tx.query<UserRow>(
      "SELECT * FROM users WHERE entity_type = 'teacher' AND entity_id = ANY($1) ORDER BY entity_id FOR UPDATE",
      [[...new Set(changes.map((c) => c.teacherId))]],
    );
    const users = new Map(rows.map((u) => [u.entity_id, u]));
    const pending = new Map<string, TeacherChange>();
    const flush = async () => {
      if (pending.size === 0) return;
      for (const user of await this.createUsers(tx, [...pending.values()])) users.set(user.entity_id, user);
      pending.clear();
    };
    for (const change of changes) {
      if (pending.has(change.teacherId)) await flush();
      const user = users.get(change.teacherId);
      // Created, or an update whose create never arrived (it was dead-lettered): either way the teacher needs an account.
      if (!user && change.kind !== 'deleted') pending.set(change.teacherId, change);
      else users.set(change.teacherId, await this.applyToExisting(tx, change, user));
    }
    await flush();
  }

  /** A change of a teacher whose user exists, or a delete of one that has none; returns the user after it. */
  private async applyToExisting(tx: pg.PoolClient, change: TeacherChange, user: UserRow | undefined): Promise<UserRow> {
    if (user && user.source_version >= change.version) return user;
    if (change.kind === 'deleted') {
      if (user) {
        await this.revokeTokens(tx, user.id);
        return this.one(tx, "UPDATE users SET status = 'Disabled', source_version = $2, updated_at = now() WHERE id = $1 RETURNING *", [
          user.id,
          change.version,
        ]);
      }
      // A tombstone: a create redelivered after this delete finds a newer version and does nothing.
      return this.one(
        tx,
        `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, role, status, source_version)
         VALUES ($1, $2, 'teacher', $3, '', 'teacher', 'Disabled', $4) RETURNING *`,
        [randomUUID(), change.tenantId, change.teacherId, change.version],
      );
    }
    const existing = user as UserRow;
    const updated = await this.one(
      tx,
      'UPDATE users SET email = $2, phone_number = $3, source_version = $4, updated_at = now() WHERE id = $1 RETURNING *',
      [existing.id, change.email, change.phoneNumber, change.version],
    );
    if (existing.status === 'PendingActivation' && change.email !== existing.email) await this.issueActivation(tx, updated);
    return updated;
  }

  private async one(tx: pg.PoolClient, sql: string, params: unknown[]): Promise<UserRow> {
    return (await tx.query<UserRow>(sql, params)).rows[0] as UserRow;
  }

  /** Users for teachers identity has never seen, waiting for activation, and their tokens: no older token to revoke. */
  private async createUsers(tx: pg.PoolClient, changes: readonly TeacherChange[]): Promise<UserRow[]> {
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, phone_number, role, status, source_version)
       SELECT id, tenant_id, 'teacher', entity_id, email, phone_number, 'teacher', 'PendingActivation', version
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
         AS n (id, tenant_id, entity_id, email, phone_number, version)
       RETURNING *`,
      [
        changes.map(() => randomUUID()),
        changes.map((c) => c.tenantId),
        changes.map((c) => c.teacherId),
        changes.map((c) => c.email),
        changes.map((c) => c.phoneNumber ?? null),
        changes.map((c) => c.version),
      ],
    );
    await this.sendActivations(tx, rows);
    return rows;
  }

  /**
   * A tenant's administrator, waiting for activation, and its token. One per address and tenant
   * (its entity id is `tenant/e-mail`): a second is AdminExists.
   */
  async createAdmin(tx: pg.PoolClient, { tenantId, email }: { tenantId: string; email: string }): Promise<UserRow> {
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, role, status, source_version)
       VALUES ($1, $2, 'admin', $3, $4, 'admin', 'PendingActivation', 1)
       ON CONFLICT (entity_type, entity_id) DO NOTHING RETURNING *`,
      [randomUUID(), tenantId, `${tenantId}/${email}`, email],
    );
    const admin = rows[0];
    if (!admin) throw new AdminExists(`${email} is already an administrator of ${tenantId}`);
    // New: no older token to revoke.
    await this.sendActivations(tx, [admin]);
    return admin;
  }

  /** The user, locked for the rest of the transaction, or undefined. */
  async lockUser(tx: pg.PoolClient, id: string): Promise<UserRow | undefined> {
    return (await tx.query<UserRow>('SELECT * FROM users WHERE id = $1 FOR UPDATE', [id])).rows[0];
  }

  /** A new one-time token for a user waiting for activation; any older one stops working. */
  async issueActivation(tx: pg.PoolClient, user: UserRow): Promise<void> {
    await this.revokeTokens(tx, user.id);
    await this.sendActivations(tx, [user]);
  }

  /** A token for each user (only its hash stored), in one INSERT, and their activation requests in one outbox append. */
  private async sendActivations(tx: pg.PoolClient, users: readonly UserRow[]): Promise<void> {
    if (users.length === 0) return;
    const expiresAt = new Date(Date.now() + this.tokenTtlMs);
    const tokens = users.map(() => newActivationToken());
    await tx.query('INSERT INTO activation_tokens (token_hash, user_id, expires_at) SELECT unnest($1::text[]), unnest($2::uuid[]), $3', [
      tokens.map((t) => t.hash),
      users.map((u) => u.id),
      expiresAt,
    ]);
    const records = await Promise.all(
      users.map((user, i) =>
        activationEvent(
          {
            userId: user.id,
            tenantId: user.tenant_id,
            email: user.email,
            ...(user.phone_number ? { phoneNumber: user.phone_number } : {}),
            token: (tokens[i] as { token: string }).token,
            expiresAt: expiresAt.toISOString(),
          },
          this.delivery,
        ),
      ),
    );
    await this.outbox.append(tx, ...records);
  }

  private async revokeTokens(tx: pg.PoolClient, userId: string): Promise<void> {
    await tx.query('UPDATE activation_tokens SET revoked_at = now() WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL', [
      userId,
    ]);
  }
}
