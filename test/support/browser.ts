// Debian's Chromium driven by playwright-core, for tests of pages Consort writes.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CONSORT_CHROMIUM ?? '/usr/bin/chromium';

/** True when a browser is available; CI (CONSORT_REQUIRE_BROWSER=1) makes its absence an error. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CONSORT_REQUIRE_BROWSER === '1') {
    throw new Error(`Chromium not found at ${CHROMIUM}; install it (apt-get install -y chromium) or set CONSORT_CHROMIUM`);
  }
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
