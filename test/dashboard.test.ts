// The web dashboard in Debian's Chromium against a real coordinator and member agents over gRPC:
// login per role, live round progress from the stream while a round runs, an auditor refused on an
// operator page, no console errors, no request leaving the coordinator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { issueApiToken } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { churnTask, startFixture, type Fixture } from './support/federation-fixture.ts';
import { browserAvailable, CHROMIUM, launchBrowser } from './support/browser.ts';

const SHOTS = process.env.CONSORT_DASHBOARD_SHOTS; // a directory: screenshots of every page (development)

/**
 * Runs in the page: records every (round, stage, survivors) the live panel shows and every state of
 * round 2's row in the rounds table; `notReloaded` would be gone after a reload.
 */
const RECORDER = `(() => {
  window.seen = [];
  window.rows = [];
  window.notReloaded = true;
  const record = () => {
    const stage = document.querySelector('#live-stage')?.getAttribute('data-state');
    const number = document.querySelector('#live-number')?.textContent;
    const survivors = document.querySelector('#live-survivors')?.textContent;
    const s = number + ' ' + stage + ' ' + survivors;
    if (number && window.seen.at(-1) !== s) window.seen.push(s);
    for (const tr of document.querySelectorAll('#rounds tbody tr')) {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent);
      const row = cells.slice(0, 4).join(' ');
      if (cells[0] === '2' && window.rows.at(-1) !== row) window.rows.push(row);
    }
  };
  new MutationObserver(record).observe(document.getElementById('main'), { subtree: true, childList: true, characterData: true });
})()`;

/** Everything a page did that a visitor should never see or that left the coordinator. */
interface Watch { consoleErrors: string[]; pageErrors: string[]; outside: string[] }

const haveBrowser = browserAvailable();
if (!haveBrowser) console.warn(`web dashboard in a browser: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CONSORT_CHROMIUM)`);

describe.runIf(haveBrowser)('web dashboard in a browser', () => {
  let fx: Fixture;
  let browser: Browser;
  let base: string;
  const tokens = { operator: '', auditor: '', contact: '' };
  let contactMember = '';
  /** Train rounds ignored by the fourth member until this is false: it is dropped at the first secure stage. */
  let silentInTraining = true;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    fx = await startFixture({
      databaseUrl: sqliteDatabase().url, members: 4, customers: 1600,
      hooks: (i) => (i === 3 ? { misbehave: { takesPart: (o) => o.purpose !== 'train' || !silentInTraining } } : {}),
    });
    base = fx.coordinator.httpUrl!;
    const store = fx.coordinator.store;
    const members = await store.listMembers(fx.federationId);
    contactMember = members[0].id;
    tokens.operator = (await issueApiToken(store, { name: 'olga', role: 'operator', issuedBy: 'test' })).token;
    tokens.auditor = (await issueApiToken(store, { name: 'alice', role: 'auditor', issuedBy: 'test' })).token;
    tokens.contact = (await issueApiToken(store, { name: 'carl', role: 'member-contact', memberId: contactMember, issuedBy: 'test' })).token;
    browser = await launchBrowser();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await fx?.close();
  });

  /** A fresh browser tab (own sessionStorage) that records console errors and foreign requests. */
  async function tab(): Promise<{ page: Page; watch: Watch }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const watch: Watch = { consoleErrors: [], pageErrors: [], outside: [] };
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') watch.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => watch.pageErrors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:')) watch.outside.push(r.url()); });
    return { page, watch };
  }

  async function login(page: Page, token: string): Promise<void> {
    await page.goto(`${base}/`);
    await page.locator('#token').fill(token);
    await page.locator('#login button[type=submit]').click();
    await page.locator('h1').first().waitFor();
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  }

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json', ...init.headers } });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('serves its pages itself, offline: no CDN, a strict content security policy', async () => {
    const res = await fetch(`${base}/dashboard/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'.*connect-src 'self'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${base}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/nothing.js`)).status).toBe(404);
  });

  it('refuses a wrong token on the login form with the API\'s reason', async () => {
    const { page, watch } = await tab();
    await page.goto(`${base}/dashboard/`);
    await page.locator('#token').fill('cst_not-a-real-token');
    await page.locator('#login button[type=submit]').click();
    await expect.poll(() => page.locator('#login-status').textContent()).toMatch(/^API_TOKEN_INVALID: .*not one this coordinator issued/);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });

  it('logs in per role: the operator\'s federation, the member contact\'s own member, the auditor\'s overview', async () => {
    const op = await tab();
    await login(op.page, tokens.operator);
    await expect.poll(() => op.page.locator('.federation .online-count').textContent()).toBe('4 / 4');
    expect(await op.page.locator('#who').textContent()).toContain('olga · operator');
    await shot(op.page, 'overview');
    await op.page.locator('.federation a.stat').click();
    await expect.poll(() => op.page.locator('#members tbody tr').count()).toBe(4);
    expect(await op.page.locator('#members .badge.online').count()).toBe(4);
    expect(await op.page.locator('#members .last-seen').first().textContent()).toMatch(/s ago|just now/);
    await shot(op.page, 'members');

    const contact = await tab();
    await login(contact.page, tokens.contact);
    expect(await contact.page.locator('h1').textContent()).toBe((await fx.coordinator.store.getMember(contactMember))!.displayName);
    expect(await contact.page.locator('#member .badge').textContent()).toBe('online');
    expect(await contact.page.locator('#nav a').allTextContents()).toEqual(['My member']);
    await shot(contact.page, 'member-contact');

    const auditor = await tab();
    await login(auditor.page, tokens.auditor);
    expect(await auditor.page.locator('h1').textContent()).toBe('Overview');
    expect(await auditor.page.locator('#nav a').allTextContents()).toEqual(['Overview', 'Audit reports', 'Log']);
    for (const t of [op, contact, auditor]) {
      expect(t.watch.consoleErrors).toEqual([]);
      expect(t.watch.pageErrors).toEqual([]);
      expect(t.watch.outside).toEqual([]);
    }
  });

  it('shows a round live: stage, survivors and deadline change on the open page while the round runs', async () => {
    const task = await api(`/api/v1/federations/${fx.federationId}/tasks`, {
      method: 'POST', body: JSON.stringify(churnTask({
        name: 'churn-live', minMembers: 3, aggregation: 'secure', stageTimeoutSeconds: 5,
      })),
    });
    const { page, watch } = await tab();
    await login(page, tokens.operator);
    await page.goto(`${base}/dashboard/#/tasks/${String(task.id)}`);
    await expect.poll(() => page.locator('#stream-status').textContent()).toBe('live');
    // Record every (round, stage, survivors) the live panel and the rounds table show, and prove the
    // page is never reloaded (the flag would be gone).
    await page.evaluate(RECORDER);
    await api(`/api/v1/tasks/${String(task.id)}/runs`, { method: 'POST', body: JSON.stringify({ rounds: 1, waitSeconds: 30 }) });
    // The training round (round 2) waits in advertise_keys for the silent member: the page says so, with its deadline.
    await expect.poll(() => page.locator('#live-number').textContent(), { timeout: 30_000 }).toBe('2');
    await expect.poll(() => page.locator('#live-stage').getAttribute('data-state'), { timeout: 10_000 }).toBe('advertise_keys');
    expect(await page.locator('#live-survivors').textContent()).toBe('4 / 4');
    expect(await page.locator('#live-deadline').textContent()).toMatch(/^in \d+ s|^passed \d+ s ago/);
    await shot(page, 'round-live');
    // Then the silent member is dropped at the deadline and the round goes on with three.
    await expect.poll(() => page.locator('#live-number').textContent(), { timeout: 60_000 }).toBe('3');
    await expect.poll(() => page.locator('#live-stage').getAttribute('data-state'), { timeout: 60_000 }).toBe('published');
    const { seen, rows } = await page.evaluate('({ seen: window.seen, rows: window.rows })') as { seen: string[]; rows: string[] };
    expect(seen).toContain('2 advertise_keys 4 / 4');
    // The same round's row moved from waiting for keys (four invited) to published with three survivors.
    expect(rows).toContain('2 train advertise_keys 4 / 4');
    expect(rows.at(-1)).toBe('2 train published 3 / 4');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    // Every stage of the training round has its timing, and the rounds table and charts follow.
    await page.locator('#round-list').scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('#rounds tbody tr').count()).toBe(3);
    expect(await page.locator('#rounds tbody tr').first().locator('td').nth(2).textContent()).toBe('published');
    // Round 2 ended with three survivors of four: the silent member was dropped.
    const row2 = page.locator('#rounds tbody tr').nth(1).locator('td');
    expect(await row2.allTextContents()).toEqual(expect.arrayContaining(['2', 'train', 'published', '3 / 4']));
    await expect.poll(() => page.locator('#run .badge').textContent(), { timeout: 10_000 }).toBe('finished');
    // The AUC chart has a point per evaluated round (train and evaluate rounds measure the model they start from).
    const aucPoints = await page.locator('svg[aria-label="Held-out AUC by round"] circle.point').count();
    expect(aucPoints).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg[aria-label="Training loss by round"] circle.point').count()).toBe(1);
    await page.evaluate('window.scrollTo(0, 0)');
    await shot(page, 'round-done');
    if (SHOTS) {
      // The picture in docs/operator.md: the top of the page, narrower.
      await page.setViewportSize({ width: 1000, height: 820 });
      await page.screenshot({ path: `${SHOTS}/dashboard-rounds.png` });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    // The last round shown is the evaluation round; its stage timings cover each stage the coordinator
    // recorded, "aggregated" (the sum closed with its result) included.
    const stagesShown = await page.locator('#stage-timings tbody tr td:first-child').allTextContents();
    expect(stagesShown).toEqual(['open', 'advertise_keys', 'share_keys', 'masked_input', 'consistency_check', 'unmask', 'aggregated', 'published']);
    // A round picked in the table shows its own stages: round 2 waited about 5 s for the silent member's keys.
    await page.locator('#rounds tbody tr').nth(1).locator('button.round-pick').click();
    await expect.poll(() => page.locator('#live-number').textContent()).toBe('2');
    expect(await page.locator('#live-dropped').textContent()).toMatch(/advertise_keys/);
    const waited = await page.locator('#stage-timings tbody tr').nth(1).locator('td').allTextContents();
    expect(waited[0]).toBe('advertise_keys');
    expect(Number.parseFloat(waited[2])).toBeGreaterThanOrEqual(4);
    await page.locator('#follow-latest').click();
    await expect.poll(() => page.locator('#live-number').textContent()).toBe('3');
    silentInTraining = false;
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outside).toEqual([]);

    // Model versions with their audit verdicts: this coordinator stores no audit reports, so "no audit".
    await page.goto(`${base}/dashboard/#/tasks/${String(task.id)}/models`);
    await expect.poll(() => page.locator('#models tbody tr').count()).toBe(2);
    expect(await page.locator('#models .no-audit').allTextContents()).toEqual(['no audit', 'no audit']);
    await shot(page, 'models');
    await page.goto(`${base}/dashboard/#/log`);
    await expect.poll(() => page.locator('#log tbody tr').count()).toBeGreaterThan(5);
    expect(await page.locator('#log').textContent()).toContain('round.published');
    await shot(page, 'log');
    await page.goto(`${base}/dashboard/#/audits`);
    await expect.poll(() => page.locator('#audits tbody tr.empty').textContent()).toBe('no audit report yet');
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
  }, 120_000);

  it('refuses an auditor on operator pages with a clear view, and lets it read rounds and the log', async () => {
    const { page, watch } = await tab();
    await login(page, tokens.auditor);
    // The auditor finds the task through the log and reads its rounds.
    await expect.poll(() => page.locator('#tasks tbody tr a').count()).toBe(1);
    await shot(page, 'auditor-overview');
    await page.locator('#tasks tbody tr a').click();
    await expect.poll(() => page.locator('#rounds tbody tr').count()).toBe(3);
    await expect.poll(() => page.locator('#stream-status').textContent()).toBe('live');

    const operatorOnly = [`#/federations/${fx.federationId}/members`, `#/tasks/${(await fx.coordinator.store.listTasks(fx.federationId))[0].id}/models`];
    for (const hash of operatorOnly) {
      await page.goto(`${base}/dashboard/${hash}`);
      const refused = page.locator('section.refused');
      await refused.waitFor();
      expect(await refused.locator('h2').textContent()).toBe('Not allowed for role auditor');
      expect(await refused.textContent()).toMatch(/UNAUTHORIZED.*the auditor role may not/);
      expect(await page.locator('body').textContent()).not.toMatch(/at \w+ \(|TypeError|undefined/);
      await shot(page, `auditor-refused-${operatorOnly.indexOf(hash)}`);
    }
    await page.goto(`${base}/dashboard/#/log`);
    await expect.poll(() => page.locator('#log tbody tr').count()).toBeGreaterThan(5);
    // The browser reports the API's 403 answers as failed resources; nothing else may reach the console.
    expect(watch.consoleErrors.filter((m) => !/status of 403/.test(m))).toEqual([]);
    expect(watch.consoleErrors.length).toBeLessThanOrEqual(2);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outside).toEqual([]);
    // The refusals are in the log with the auditor as actor.
    const log = await api('/api/v1/log?kind=api.denied&limit=1000') as { events: { actor: string; subjectId: string }[] };
    expect(log.events.filter((e) => e.actor === 'auditor:alice').map((e) => e.subjectId)).toEqual(expect.arrayContaining(['members.list', 'models.list']));
  });
});
