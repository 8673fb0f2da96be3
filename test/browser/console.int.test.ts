/**
 * The console in a real browser (Debian's Chromium through Playwright) on the local platform that
 * `make dev` runs: who may use it, the Topics page, and a burst of writes seen as a live picture —
 * lag rising, the indexer's replicas stepping up, the drain and the scale-down on the chart.
 * Then a poison record: found in the dead letters, its trace drawn, redriven after a dry run.
 * Screenshots go to EVENTIDE_ARTIFACTS (default a temp dir); the README's come from this test.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../devkit/browser.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { bootstrapAdminCredentials, clientCredentialsToken, platformCallers } from '../../scripts/local/credentials.ts';
import { runLoad } from '../../scripts/local/load-generator.ts';
import { indexerDeployment, type LocalPlatform, startLocalPlatform } from '../../scripts/local/platform.ts';

let platform: LocalPlatform;
let browser: Browser;
let page: Page;
const artifacts = process.env.EVENTIDE_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'eventide-console-'));

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  [platform, browser] = await Promise.all([
    startLocalPlatform({
      logDir: mkdtempSync(join(tmpdir(), 'eventide-console-platform-')),
      // Half of what the burst writes even on a slow machine, so lag builds and the operator scales.
      env: { [indexerDeployment]: { MAX_RECORDS_PER_SECOND: '50' } },
      consumerGroup: { lagThreshold: 300, pollIntervalSeconds: 2, scaleDownStabilizationSeconds: 10 },
      backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
      examples: false,
    }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
}, 120_000);

const api = (path: string, init: RequestInit = {}) => fetch(`${platform.console.url}${path}`, init);

describe('who may use the console', () => {
  it('refuses the anonymous (401), another role (403), a wrong password (401) and a write from another site (403), as problem+json', async () => {
    const anonymous = await api('/api/v1/topics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');

    const admin = await platformCallers(platform.kc, platform.identity.url).admin();
    const created = await fetch(`${platform.identity.url}/api/v1/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ name: 'console test organizer', role: 'organizer', organizerId: crypto.randomUUID() }),
    });
    expect(created.status).toBe(201);
    const organizer = await clientCredentialsToken(
      platform.identity.url,
      (await created.json()) as { clientId: string; clientSecret: string },
    );
    expect((await api('/api/v1/topics', { headers: { authorization: `Bearer ${organizer}` } })).status).toBe(403);
    expect((await api('/api/v1/topics', { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    const asAdmin = { authorization: `Bearer ${admin}` };
    expect((await api('/api/v1/groups/no-such-group', { headers: asAdmin })).status).toBe(404);
    expect((await api('/api/v1/groups/no-such-group/dead-letters', { headers: asAdmin })).status).toBe(404);
    expect((await api('/api/v1/groups/no-such-group/dead-letters', { headers: { authorization: `Bearer ${organizer}` } })).status).toBe(
      403,
    );
    const redrive = (body: unknown, headers: Record<string, string>) =>
      api(`/api/v1/groups/${indexerDeployment}/redrive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await redrive({ dryRun: true }, {})).status).toBe(401);
    expect((await redrive({ dryRun: true }, { authorization: `Bearer ${organizer}` })).status).toBe(403);
    expect((await redrive({ reason: 'x' }, asAdmin)).status).toBe(400);
    expect((await redrive({ dryRun: true, reason: '/(/' }, asAdmin)).status).toBe(400);
    expect((await api('/api/v1/traces/not-a-trace-id', { headers: asAdmin })).status).toBe(400);

    const { email } = await bootstrapAdminCredentials(platform.kc);
    const login = (body: unknown, headers: Record<string, string> = {}) =>
      api('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const wrong = await login({ email, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { detail: string }).detail).toBe('the email or the password is not right');
    expect((await login({ email })).status).toBe(400);
    expect((await login({ email, password: 'x' }, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('the console in a browser', () => {
  it('asks for a login, then shows every Topic with its Kafka side', async () => {
    await page.goto(`${platform.console.url}/topics`);
    await page.waitForURL(/\/login\?next=%2Ftopics/);
    const { email, password } = await bootstrapAdminCredentials(platform.kc);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('not right');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/topics$/);
    const row = page.locator('#topics tr', { hasText: 'catalog.events' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Ready');
    expect(await row.textContent()).toContain('in sync');
    await expect.poll(() => page.locator('#freshness').textContent()).toMatch(/updated \d+ s ago/);
    await page.screenshot({ path: join(artifacts, 'console-topics.png'), fullPage: true });
  });

  it('draws a burst of writes live: lag rising, replicas stepping up, the drain and the scale-down', { timeout: 300_000 }, async () => {
    await page.goto(`${platform.console.url}/groups/${indexerDeployment}`);
    const chart = page.locator('#chart');
    await expect.poll(() => chart.getAttribute('data-points')).not.toBeNull();
    const admin = platformCallers(platform.kc, platform.identity.url).admin;
    // 200/s against one replica capped at 50 docs/s: lag grows by ~150/s until the operator scales.
    const load = await runLoad({ catalogUrl: platform.catalog.url, token: admin, rate: 200, durationSeconds: 25 });
    expect(load.errors, JSON.stringify(load.errorKinds)).toBe(0);
    const marks = page.locator('#marks');
    // Waits on what the page shows (each state is reached whatever the machine's speed), not on time.
    await expect
      .poll(async () => Number(await chart.getAttribute('data-max-replicas')), { timeout: 120_000, interval: 500 })
      .toBeGreaterThan(1);
    await expect.poll(() => marks.textContent(), { timeout: 120_000, interval: 500 }).toContain('ScaledUp');
    await expect.poll(() => marks.textContent(), { timeout: 180_000, interval: 1_000 }).toContain('ScaledDown');
    await expect.poll(() => chart.getAttribute('data-replicas'), { timeout: 60_000, interval: 500 }).toBe('1');
    expect(await page.locator('#replicas').textContent()).toBe('1 replica');
    await page.screenshot({ path: join(artifacts, 'console-scaling.png'), fullPage: true });
    console.log(`[console] screenshots in ${artifacts}`);
  });

  it("finds a poison record among the topic's latest records and in the dead letters, draws its trace, and redrives it after a dry run", {
    timeout: 180_000,
  }, async () => {
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const producer = kafkaClient({ clientId: 'console-test', brokers: platform.kafka.brokers }).producer();
    await producer.connect();
    await producer.send({
      topic: 'catalog.events',
      messages: [
        {
          key: crypto.randomUUID(),
          value: '{"this is": "not an event"',
          headers: {
            ce_specversion: '1.0',
            ce_id: crypto.randomUUID(),
            ce_type: 'dev.eventide.catalog.event.created.v1',
            ce_source: '/catalog',
            'content-type': 'application/json',
            traceparent: `00-${traceId}-${'1'.repeat(16)}-01`,
          },
        },
      ],
    });
    await producer.disconnect();

    // The topic page lists it among the latest records, linked to its trace.
    await page.goto(`${platform.console.url}/topics/catalog-events`);
    await page.getByRole('button', { name: 'Read the latest records' }).click();
    await page.locator(`#latest-records a[href="/traces/${traceId}"]`).waitFor({ timeout: 30_000 });

    await page.goto(`${platform.console.url}/groups/${indexerDeployment}/dead-letters`);
    const row = page.locator('#dead-letter-table tr', { has: page.locator(`a[href="/traces/${traceId}"]`) });
    // The indexer retries it a few times, then sets it aside: read the topic again until it is there.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Show' }).click();
          await page.locator('#freshness', { hasText: /read at|not read/ }).waitFor();
          return row.count();
        },
        { timeout: 90_000, interval: 1_000 },
      )
      .toBe(1);
    const offset = (await row.locator('td').first().textContent()) ?? '';
    expect(await row.textContent()).toContain('catalog.events');

    // The redrive button waits for a dry run of the same filters.
    const [partition, at] = offset.split('/');
    await page.getByLabel('Offsets').fill(`${partition}:${at}`);
    expect(await page.getByRole('button', { name: 'Redrive' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect.poll(() => page.locator('#redrive-report').textContent(), { timeout: 60_000 }).toContain('Dry run: would move 1');
    await page.screenshot({ path: join(artifacts, 'console-dead-letters.png'), fullPage: true });
    await page.getByRole('button', { name: 'Redrive' }).click();
    await expect.poll(() => page.locator('#redrive-report').textContent(), { timeout: 60_000 }).toContain('Moved 1');
    expect(await page.locator('#redrive-report').textContent()).toContain('1 → catalog.events');

    // Its trace: the indexer's spans under the record's traceparent, once Jaeger has them.
    await expect
      .poll(
        async () => {
          await page.goto(`${platform.console.url}/traces/${traceId}`);
          await page.locator('#content > *').first().waitFor();
          return page.locator('#waterfall li').count();
        },
        { timeout: 60_000, interval: 2_000 },
      )
      .toBeGreaterThan(0);
    expect(await page.locator('#waterfall').textContent()).toContain('search-indexer');
    await page.screenshot({ path: join(artifacts, 'console-trace.png'), fullPage: true });
  });
});
