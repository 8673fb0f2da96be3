/**
 * Debian's Chromium, headless, driven by Playwright (playwright-core: no browser download). The
 * flags keep it off the network it would otherwise call at every start (updates, sync, QUIC), which
 * a closed machine refuses; Playwright gives each launch a fresh profile.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = process.env.EVENTIDE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`no Chromium at ${chromiumPath}: install Debian's (apt-get install chromium) or set EVENTIDE_CHROMIUM`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
