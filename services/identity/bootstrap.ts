/**
 * What identity's Secret says exists, made so at every start: the configuration is the truth, so
 * an administrator or provider client it no longer names stops working (a rotated Secret takes
 * effect at the next start).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../lib/pg.ts';
import type { UserRow } from './accounts.ts';
import { scopesOf } from './client-credentials.ts';
import type { ClientRow } from './clients.ts';
import { needsRehash, type PasswordHasher } from './passwords.ts';

/**
 * Whether a stored hash of today's parameters already matches the configured secret: then it is
 * kept, and no new hash is written at each start (one of older parameters is made again).
 */
const matches = async (passwords: PasswordHasher, secret: string, hash: string | null | undefined) =>
  Boolean(hash && !needsRehash(hash) && (await passwords.verify(secret, hash)));

/**
 * The bootstrap administrator: the platform-admin of the configured e-mail, Active with the
 * configured password; an earlier bootstrap administrator of another e-mail is Disabled.
 */
export async function ensureBootstrapAdmin(
  pool: pg.Pool,
  passwords: PasswordHasher,
  admin: { tenantId: string; email: string; password: string },
): Promise<void> {
  const email = admin.email.toLowerCase();
  await inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('eventide-identity-bootstrap'))");
    const { rows } = await tx.query<UserRow>("SELECT * FROM users WHERE entity_type = 'bootstrap' AND entity_id = $1", [email]);
    const existing = rows[0];
    const current =
      existing?.role === 'platform-admin' &&
      existing.status === 'Active' &&
      existing.tenant_id === admin.tenantId &&
      (await matches(passwords, admin.password, existing.password_hash));
    if (!current)
      await tx.query(
        `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, role, status, password_hash, source_version)
         VALUES ($1, $2, 'bootstrap', $3, $3, 'platform-admin', 'Active', $4, 1)
         ON CONFLICT (entity_type, entity_id)
         DO UPDATE SET tenant_id = $2, role = 'platform-admin', password_hash = $4, status = 'Active', updated_at = now()`,
        [randomUUID(), admin.tenantId, email, await passwords.hash(admin.password)],
      );
    await tx.query(
      `UPDATE users SET status = 'Disabled', updated_at = now()
       WHERE entity_type = 'bootstrap' AND entity_id <> $1 AND status <> 'Disabled'`,
      [email],
    );
  });
}

/**
 * The payment provider's client, when configured: a payment-provider client of that id whose
 * secret is the configured one (no overlap: the Secret is the truth), not revoked. Any other
 * client made from configuration is revoked.
 */
export async function ensureBootstrapProviderClient(
  pool: pg.Pool,
  passwords: PasswordHasher,
  client: { clientId: string; secret: string } | undefined,
): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('eventide-identity-bootstrap'))");
    await tx.query('UPDATE oauth_clients SET revoked_at = now() WHERE bootstrap AND client_id IS DISTINCT FROM $1 AND revoked_at IS NULL', [
      client?.clientId ?? null,
    ]);
    if (!client) return;
    const { rows } = await tx.query<ClientRow>('SELECT * FROM oauth_clients WHERE client_id = $1', [client.clientId]);
    const existing = rows[0];
    if (
      existing?.bootstrap &&
      existing.role === 'payment-provider' &&
      !existing.revoked_at &&
      (await matches(passwords, client.secret, existing.secret_hash))
    )
      return;
    await tx.query(
      `INSERT INTO oauth_clients (client_id, name, role, subject, scopes, secret_hash, bootstrap)
       VALUES ($1, 'payment provider (from configuration)', 'payment-provider', $1, $2, $3, true)
       ON CONFLICT (client_id) DO UPDATE SET role = 'payment-provider', merchant_id = NULL, subject = $1, scopes = $2, secret_hash = $3,
         previous_secret_hash = NULL, previous_valid_until = NULL, bootstrap = true, revoked_at = NULL`,
      [client.clientId, scopesOf('payment-provider'), await passwords.hash(client.secret)],
    );
  });
}
