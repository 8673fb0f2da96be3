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

  async apply(tx: pg.PoolClient, change: TeacherChange): Promise<void> {
    // Refused for good (retried, then dead-lettered with this reason): no school of that name exists.
    if (!this.tenants.has(change.tenantId)) throw new EnvelopeError(`unknown tenant ${JSON.stringify(change.tenantId)}`);
    const { rows } = await tx.query<UserRow>("SELECT * FROM users WHERE entity_type = 'teacher' AND entity_id = $1 FOR UPDATE", [
      change.teacherId,
    ]);
    const user = rows[0];
    if (user && user.source_version >= change.version) return;
    if (change.kind === 'deleted') {
      if (user) {
        await tx.query("UPDATE users SET status = 'Disabled', source_version = $2, updated_at = now() WHERE id = $1", [
          user.id,
          change.version,
        ]);
        await this.revokeTokens(tx, user.id);
      } else {
        // A tombstone: a create redelivered after this delete finds a newer version and does nothing.
        await tx.query(
          `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, role, status, source_version)
           VALUES ($1, $2, 'teacher', $3, '', 'teacher', 'Disabled', $4)`,
          [randomUUID(), change.tenantId, change.teacherId, change.version],
        );
      }
      return;
    }
    if (user) {
      const { rows: updated } = await tx.query<UserRow>(
        'UPDATE users SET email = $2, phone_number = $3, source_version = $4, updated_at = now() WHERE id = $1 RETURNING *',
        [user.id, change.email, change.phoneNumber, change.version],
      );
      if (user.status === 'PendingActivation' && change.email !== user.email) await this.issueActivation(tx, updated[0] as UserRow);
      return;
    }
    // Created, or an update whose create never arrived (it was dead-lettered): either way the teacher needs an account.
    const { rows: created } = await tx.query<UserRow>(
      `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, phone_number, role, status, source_version)
       VALUES ($1, $2, 'teacher', $3, $4, $5, 'teacher', 'PendingActivation', $6) RETURNING *`,
      [randomUUID(), change.tenantId, change.teacherId, change.email, change.phoneNumber, change.version],
    );
    await this.issueActivation(tx, created[0] as UserRow);
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
    await this.issueActivation(tx, admin);
    return admin;
  }

  /** The user, locked for the rest of the transaction, or undefined. */
  async lockUser(tx: pg.PoolClient, id: string): Promise<UserRow | undefined> {
    return (await tx.query<UserRow>('SELECT * FROM users WHERE id = $1 FOR UPDATE', [id])).rows[0];
  }

  /** A new one-time token for a user waiting for activation; any older one stops working. */
  async issueActivation(tx: pg.PoolClient, user: UserRow): Promise<void> {
    await this.revokeTokens(tx, user.id);
    const { token, hash } = newActivationToken();
    const expiresAt = new Date(Date.now() + this.tokenTtlMs);
    await tx.query('INSERT INTO activation_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [hash, user.id, expiresAt]);
    await this.outbox.append(
      tx,
      await activationEvent(
        {
          userId: user.id,
          tenantId: user.tenant_id,
          email: user.email,
          ...(user.phone_number ? { phoneNumber: user.phone_number } : {}),
          token,
          expiresAt: expiresAt.toISOString(),
        },
        this.delivery,
      ),
    );
  }

  private async revokeTokens(tx: pg.PoolClient, userId: string): Promise<void> {
    await tx.query('UPDATE activation_tokens SET revoked_at = now() WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL', [
      userId,
    ]);
  }
}
