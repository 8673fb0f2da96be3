/**
 * Mixed money movements against a payments API, as careful clients send them: payments created,
 * then completed, and withdrawals, each retried with its own Idempotency-Key until it gets an
 * answer (a 5xx or no answer is retried, anything else is the answer). Each merchant's backend
 * calls with its own machine client's token, completions come from the payment provider's client,
 * merchants are created by the platform administrator — as on a real platform. Used by `make
 * payments-load` and the payments chaos suite.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientCredentialsToken, createMerchantClient, type TokenSource, tokenSource } from './credentials.ts';

export interface PaymentsLoadResult {
  /** Movements that got an answer. */
  ok: number;
  retried: number;
  /** Movements that never got an answer (40 attempts). */
  gaveUp: number;
  /** Every answer's status, and "network" for no answer. */
  statuses: Record<string, number>;
  seconds: number;
}

export interface PaymentsLoadOptions {
  /** e.g. http://127.0.0.1:8084 */
  paymentsUrl: string;
  /** identity, where merchants' clients are created and their tokens issued. */
  identityUrl: string;
  /** The platform administrator (creates merchants and their clients) and the payment provider (completes payments). */
  callers: { admin: TokenSource; provider: TokenSource };
  /** Movements per second started (default 200). */
  rate?: number;
  durationSeconds: number;
  /** Default 20. */
  merchants?: number;
  /** Called about every 100 ms with the elapsed time, to strike faults or print progress. */
  onTick?: (elapsedMs: number) => void;
}

export async function runPaymentsLoad(options: PaymentsLoadOptions): Promise<PaymentsLoadResult> {
  const result: PaymentsLoadResult = { ok: 0, retried: 0, gaveUp: 0, statuses: {}, seconds: 0 };
  const count = (status: string) => {
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
  };
  const movement = async (caller: TokenSource, path: string, body: unknown): Promise<Response | undefined> => {
    const key = randomUUID();
    // A client with an Idempotency-Key retries until it gets an answer; bounded by time, not by a
    // count of fast failures: 40 refused connections were only 20 s, less than a restart takes on a busy machine.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      // Identity down is a failed attempt like payments down: retried with the same key.
      const token = await caller().catch(() => undefined);
      const response = token
        ? await fetch(`${options.paymentsUrl}/api/v1${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(5_000),
          }).catch(() => undefined)
        : undefined;
      count(response ? String(response.status) : 'network');
      if (response && response.status < 500) {
        result.ok++;
        return response;
      }
      result.retried++;
      await sleep(500);
    }
    result.gaveUp++;
    return undefined;
  };

  const { admin, provider } = options.callers;
  // Both standing callers first: a refused credential is one clear error, not thousands of retries.
  await Promise.all([admin(), provider()]);
  const merchants: string[] = [];
  const backends = new Map<string, TokenSource>();
  for (let i = 0; i < (options.merchants ?? 20); i++) {
    const created = await movement(admin, '/merchants', { name: `Shop ${i}`, email: `shop${i}@shop.example`, currency: 'EUR' });
    if (created?.status !== 201) throw new Error(`creating a merchant answered ${created?.status ?? 'nothing'}`);
    const id = ((await created.json()) as { id: string }).id;
    const client = await createMerchantClient(options.identityUrl, await admin(), id);
    merchants.push(id);
    backends.set(
      id,
      tokenSource(() => clientCredentialsToken(options.identityUrl, client)),
    );
  }
  const backend = (merchant: string) => backends.get(merchant) as TokenSource;
  const pending: { merchant: string; payment: string }[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const intervalMs = 1000 / (options.rate ?? 200);
  const started = Date.now();
  let lastTick = 0;
  for (let i = 0; Date.now() - started < options.durationSeconds * 1000; i++) {
    if (Date.now() - lastTick >= 100) {
      lastTick = Date.now();
      options.onTick?.(lastTick - started);
    }
    // Each merchant in turn gets ten operations: four payments, four completions, two withdrawals.
    const merchant = merchants[Math.floor(i / 10) % merchants.length] as string;
    const roll = i % 10;
    const next = roll >= 4 && roll < 8 ? pending.shift() : undefined;
    const op =
      roll < 4
        ? movement(backend(merchant), `/merchants/${merchant}/payments`, { amountMinor: 100 + (i % 900), currency: 'EUR' }).then(
            async (r) => {
              if (r?.status === 201) pending.push({ merchant, payment: ((await r.json()) as { id: string }).id });
            },
          )
        : next
          ? movement(provider, `/merchants/${next.merchant}/payments/${next.payment}/complete`, null)
          : movement(backend(merchant), `/merchants/${merchant}/withdrawals`, { amountMinor: 50 + (i % 400) });
    inFlight.add(op);
    void op.finally(() => inFlight.delete(op));
    await sleep(Math.max(0, started + (i + 1) * intervalMs - Date.now()));
  }
  await Promise.all(inFlight);
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
