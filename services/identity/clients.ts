import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { acceptedSecretHashes, type Client, type ClientRole, newClientSecret, scopesOf } from './client-credentials.ts';
import type { PasswordHasher } from './passwords.ts';

export interface ClientRow {
  client_id: string;
  name: string;
  role: ClientRole;
  merchant_id: string | null;
  subject: string;
  scopes: string[];
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_valid_until: Date | null;
  bootstrap: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

/** What the administrators' API asks for: a merchant's client is bound to its merchant, an organizer's to its organizer. */
export type ClientInput =
  | { name: string; role: 'merchant'; merchantId: string }
  | { name: string; role: 'payment-provider' }
  | { name: string; role: 'organizer'; organizerId: string };

export class ClientNotFound extends Error {}
export class ClientRevoked extends Error {}

export const clientOf = (row: ClientRow): Client => ({
  clientId: row.client_id,
  role: row.role,
  ...(row.merchant_id ? { merchantId: row.merchant_id } : {}),
  subject: row.subject,
  scopes: row.scopes,
  secretHash: row.secret_hash,
  ...(row.previous_secret_hash ? { previousSecretHash: row.previous_secret_hash } : {}),
  ...(row.previous_valid_until ? { previousValidUntil: row.previous_valid_until } : {}),
});

/** A client as the administrators' API shows it: never a secret or its hash. */
export const publicClient = (row: ClientRow, now = new Date()) => ({
  clientId: row.client_id,
  name: row.name,
  role: row.role,
  ...(row.merchant_id ? { merchantId: row.merchant_id } : {}),
  ...(row.role === 'organizer' ? { organizerId: row.subject } : {}),
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  ...(row.previous_valid_until && row.previous_valid_until > now
    ? { previousSecretValidUntil: row.previous_valid_until.toISOString() }
    : {}),
  ...(row.revoked_at ? { revokedAt: row.revoked_at.toISOString() } : {}),
});

/** Machine clients in PostgreSQL: created, shown, their secrets rotated, revoked, and authenticated. */
export class Clients {
  private readonly pool: pg.Pool;
  private readonly overlapMs: number;
  private readonly passwords: PasswordHasher;

  constructor({ pool, overlapMs, passwords }: { pool: pg.Pool; overlapMs: number; passwords: PasswordHasher }) {
    this.pool = pool;
    this.overlapMs = overlapMs;
    this.passwords = passwords;
  }

  /** A new client and its secret, which is never shown again. */
  async create(input: ClientInput): Promise<{ row: ClientRow; secret: string }> {
    const clientId = randomUUID();
    const secret = newClientSecret();
    const { rows } = await this.pool.query<ClientRow>(
      `INSERT INTO oauth_clients (client_id, name, role, merchant_id, subject, scopes, secret_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        clientId,
        input.name,
        input.role,
        input.role === 'merchant' ? input.merchantId : null,
        input.role === 'organizer' ? input.organizerId : clientId,
        scopesOf(input.role),
        await this.passwords.hash(secret),
      ],
    );
    return { row: rows[0] as ClientRow, secret };
  }

  async get(clientId: string): Promise<ClientRow | undefined> {
    return (await this.pool.query<ClientRow>('SELECT * FROM oauth_clients WHERE client_id = $1', [clientId])).rows[0];
  }

  /** A new secret; the current one becomes the previous, accepted for the overlap (an earlier previous stops at once). */
  async rotateSecret(clientId: string): Promise<{ row: ClientRow; secret: string }> {
    const secret = newClientSecret();
    const { rows } = await this.pool.query<ClientRow>(
      `UPDATE oauth_clients
       SET previous_secret_hash = secret_hash, previous_valid_until = now() + $3 * interval '1 millisecond', secret_hash = $2
       WHERE client_id = $1 AND revoked_at IS NULL RETURNING *`,
      [clientId, await this.passwords.hash(secret), this.overlapMs],
    );
    if (rows[0]) return { row: rows[0], secret };
    throw (await this.get(clientId)) ? new ClientRevoked(`client ${clientId} is revoked`) : new ClientNotFound(`no client ${clientId}`);
  }

  /** Revokes the client: no more tokens for it (those issued expire within 15 minutes). False when there is no such client. */
  async revoke(clientId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE oauth_clients SET revoked_at = coalesce(revoked_at, now()) WHERE client_id = $1', [
      clientId,
    ]);
    return rowCount === 1;
  }

  /** The client these credentials authenticate, or undefined; an unknown or revoked client costs one scrypt too. */
  async authenticate(clientId: string, secret: string): Promise<Client | undefined> {
    const row = await this.get(clientId);
    const client = row && !row.revoked_at ? clientOf(row) : undefined;
    if (!client) return this.passwords.verifyDecoy(secret).then(() => undefined);
    for (const hash of acceptedSecretHashes(client, new Date())) if (await this.passwords.verify(secret, hash)) return client;
    return undefined;
  }
}
