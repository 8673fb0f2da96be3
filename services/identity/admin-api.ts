import { Hono } from 'hono';
import type pg from 'pg';
import { z } from 'zod';
import { mayManageTenant } from '../../lib/authorization.ts';
import { type Authenticated, authenticate, notFound, type TokenVerifier } from '../../lib/http/bearer.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { inTransaction } from '../../lib/pg.ts';
import { type Accounts, publicUser, type UserRow } from './accounts.ts';
import { clientId } from './client-credentials.ts';
import { ClientNotFound, type Clients, publicClient } from './clients.ts';
import { accountInput, clientInput, userQuery } from './schema.ts';

export interface AdminApiDeps {
  pool: pg.Pool;
  accounts: Accounts;
  clients: () => Clients;
  tenants: ReadonlySet<string>;
  verify: TokenVerifier;
}

/**
 * The administrators' routes under /api/v1: users (a tenant's admin for its tenant, a
 * platform-admin for all; another tenant's user is 404), tenants' administrators and machine
 * clients (platform-admin only).
 */
export function adminApi(deps: AdminApiDeps): Hono<Authenticated> {
  const api = new Hono<Authenticated>();
  const tenantAdmins = authenticate(deps.verify, ['admin', 'platform-admin']);
  const platformAdmins = authenticate(deps.verify, ['platform-admin']);

  api.get('/users', tenantAdmins, async (c) => {
    const parsed = userQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const { tenantId, email, phoneNumber } = parsed.data;
    if (!mayManageTenant(c.get('principal'), tenantId)) throw notFound(`users of tenant ${tenantId}`);
    const { rows } = await deps.pool.query<UserRow>(
      email
        ? 'SELECT * FROM users WHERE tenant_id = $1 AND email = $2 ORDER BY created_at'
        : 'SELECT * FROM users WHERE tenant_id = $1 AND phone_number = $2 ORDER BY created_at',
      [tenantId, email ?? phoneNumber],
    );
    return c.json({ items: rows.map(publicUser) });
  });

  api.post('/users/:id/activation', tenantAdmins, async (c) => {
    const id = c.req.param('id');
    await inTransaction(deps.pool, async (tx) => {
      // Not a UUID: no such user, without asking PostgreSQL to cast it.
      const user = z.uuid().safeParse(id).success ? await deps.accounts.lockUser(tx, id) : undefined;
      if (!user || !mayManageTenant(c.get('principal'), user.tenant_id)) throw notFound(`user ${id}`);
      if (user.status !== 'PendingActivation')
        throw new HttpProblem(
          409,
          'Not waiting for activation',
          `user ${id} is ${user.status}: only a user waiting for activation gets a token`,
        );
      await deps.accounts.issueActivation(tx, user);
    });
    return c.body(null, 202);
  });

  api.post('/admins', platformAdmins, async (c) => {
    const parsed = accountInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    if (!deps.tenants.has(parsed.data.tenantId)) throw new HttpProblem(422, 'Unknown tenant', `no tenant ${parsed.data.tenantId}`);
    const admin = await inTransaction(deps.pool, (tx) => deps.accounts.createAdmin(tx, parsed.data));
    return c.json(publicUser(admin), 201);
  });

  const knownClient = (raw: string) => {
    if (!clientId.safeParse(raw).success) throw new ClientNotFound(`no client ${raw}`);
    return raw;
  };

  api.post('/clients', platformAdmins, async (c) => {
    const parsed = clientInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const { row, secret } = await deps.clients().create(parsed.data);
    return c.json({ ...publicClient(row), clientSecret: secret }, 201, {
      location: `/api/v1/clients/${row.client_id}`,
      'cache-control': 'no-store',
    });
  });

  api.get('/clients/:id', platformAdmins, async (c) => {
    const found = await deps.clients().get(knownClient(c.req.param('id')));
    if (!found) throw new ClientNotFound(`no client ${c.req.param('id')}`);
    return c.json(publicClient(found));
  });

  api.post('/clients/:id/secret', platformAdmins, async (c) => {
    const { row, secret } = await deps.clients().rotateSecret(knownClient(c.req.param('id')));
    return c.json({ ...publicClient(row), clientSecret: secret }, 200, { 'cache-control': 'no-store' });
  });

  api.delete('/clients/:id', platformAdmins, async (c) => {
    if (!(await deps.clients().revoke(knownClient(c.req.param('id'))))) throw new ClientNotFound(`no client ${c.req.param('id')}`);
    return c.body(null, 204);
  });

  return api;
}
