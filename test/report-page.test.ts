// The rounds report as a person sees it: rendered by a real Chromium, charts and tables present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { renderRoundsReport } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';
import { browserAvailable, launchBrowser } from './support/browser.ts';

describe.runIf(browserAvailable())('rounds report in a browser', () => {
  let fx: Fixture;
  let browser: Browser;
  beforeAll(async () => {
    fx = await startFixture({ databaseUrl: sqliteDatabase().url, members: 3, customers: 1200 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('shows the AUC and loss charts, every model version and every round', async () => {
    const task = await fx.admin.createTask(fx.federationId, churnTask({ minMembers: 3, aggregation: 'secure' }));
    await fx.admin.runRounds(task.id, 3, 10);
    const file = join(fx.workDir, 'report.html');
    writeFileSync(file, await renderRoundsReport(fx.coordinator.store, task.id));
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) failed.push(r.url()); });
    await page.goto(pathToFileURL(file).toString());
    expect(await page.locator('h1').textContent()).toBe('churn-e2e');
    // Versions v0..v3 all have a held-out AUC (v3 from the final evaluation round).
    const aucPoints = await page.locator('svg[aria-label="Held-out AUC by model version"] polyline').getAttribute('points');
    expect(aucPoints!.trim().split(/\s+/)).toHaveLength(4);
    expect(await page.locator('#versions tr').count()).toBe(1 + 4);
    expect(await page.locator('#rounds tr').count()).toBe(1 + 5);
    // Every round is secure: each row says how long each of the five stages waited for members.
    for (const text of await page.locator('#rounds span.stages').allTextContents()) {
      expect(text).toMatch(/^keys \d+\.\d\d · shares \d+\.\d\d · input \d+\.\d\d · check \d+\.\d\d · unmask \d+\.\d\d$/);
    }
    expect(await page.locator('#rounds span.stages').count()).toBe(5);
    expect(failed).toEqual([]); // self-contained: no external requests
    mkdirSync('.reports', { recursive: true });
    await page.screenshot({ path: '.reports/rounds-report.png', fullPage: true });
  });
});
