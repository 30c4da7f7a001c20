// The dashboard's audit pages in Chromium: reports listed with verdicts, one report's HTML shown in a
// sandboxed frame, verdicts beside model versions, and member contacts refused the reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { buildApp, createTask, issueApiToken, MemberConnections, openStore, TaskRuns, type AuditReportSource, type Store } from '@consort/coordinator';
import { sqliteDatabase } from './support/databases.ts';
import { browserAvailable, CHROMIUM, launchBrowser } from './support/browser.ts';
import { CHURN_TASK } from './http-api.suite.ts';

const REPORT_HTML = '<!doctype html><html><head><style>h1 { color: rgb(18, 52, 86); }</style></head>'
  + '<body><h1>Fairness audit of churn v0</h1><svg width="20" height="20"><rect width="20" height="20"/></svg><script>parent.document.title = "escaped";</script></body></html>';

const haveBrowser = browserAvailable();
if (!haveBrowser) console.warn(`dashboard audit pages in a browser: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CONSORT_CHROMIUM)`);

describe.runIf(haveBrowser)('dashboard audit pages in a browser', () => {
  let store: Store;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let browser: Browser;
  let base: string;
  let taskId: string;
  const tokens = { operator: '', auditor: '', contact: '' };

  beforeAll(async () => {
    store = await openStore(sqliteDatabase().url);
    const federation = await store.createFederation('north');
    const { task, modelVersionId } = await createTask(store, federation.id, CHURN_TASK);
    taskId = task.id;
    const summary = { id: 'rep-1', taskId: task.id, modelVersionId: modelVersionId!, createdAt: new Date('2026-12-01T10:00:00Z'), verdict: 'pass' };
    const auditReports: AuditReportSource = {
      list: async () => [summary],
      get: async (id) => (id === summary.id ? { summary, json: { verdict: 'pass' }, html: REPORT_HTML } : undefined),
    };
    app = await buildApp({ store, connections: new MemberConnections(), runs: new TaskRuns({ runTask: async () => [] }), logger: pino({ level: 'silent' }), auditReports });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
    const hash = 'ab'.repeat(32);
    await store.createEnrollmentTokens(federation.id, [hash], new Date(Date.now() + 60_000));
    const member = await store.consumeEnrollmentToken(hash, { displayName: 'Shop A', identityPublicKey: new Uint8Array(32).fill(7) }, new Date());
    tokens.operator = (await issueApiToken(store, { name: 'olga', role: 'operator', issuedBy: 'test' })).token;
    tokens.auditor = (await issueApiToken(store, { name: 'alice', role: 'auditor', issuedBy: 'test' })).token;
    tokens.contact = (await issueApiToken(store, { name: 'carl', role: 'member-contact', memberId: member.id, issuedBy: 'test' })).token;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

  async function loggedIn(token: string): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 403/.test(m.text())) errors.push(m.text()); });
    page.on('request', (r) => { if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:') && r.url() !== 'about:srcdoc') errors.push(`request to ${r.url()}`); });
    await page.goto(`${base}/dashboard/`);
    await page.locator('#token').fill(token);
    await page.locator('#login button[type=submit]').click();
    await page.locator('h1').first().waitFor();
    return { page, errors };
  }

  it('lists the reports and shows one in a sandboxed frame that runs no script', async () => {
    const { page, errors } = await loggedIn(tokens.auditor);
    await page.locator('#nav a', { hasText: 'Audit reports' }).click();
    await expect.poll(() => page.locator('#audits tbody tr').count()).toBe(1);
    expect(await page.locator('#audits .badge').textContent()).toBe('pass');
    await page.locator('#audits tbody a').click();
    const frame = page.frameLocator('#report');
    await expect.poll(() => frame.locator('h1').textContent()).toBe('Fairness audit of churn v0');
    // The report's own style applies inside the frame; its script never runs.
    expect(await frame.locator('h1').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color)).toBe('rgb(18, 52, 86)');
    expect(await page.title()).toBe('Consort dashboard');
    expect(await page.locator('#report').getAttribute('sandbox')).toBe('');
    expect(errors.filter((e) => !/Blocked script execution/.test(e))).toEqual([]);
  });

  it('shows each model version\'s verdict, linked to its report', async () => {
    const { page, errors } = await loggedIn(tokens.operator);
    await page.goto(`${base}/dashboard/#/tasks/${taskId}/models`);
    await expect.poll(() => page.locator('#models a.verdict').textContent()).toBe('pass');
    expect(await page.locator('#models a.verdict').getAttribute('href')).toBe('#/audits/rep-1');
    expect(errors).toEqual([]);
  });

  it('refuses the reports to a member contact, who still sees its models without verdicts', async () => {
    const { page, errors } = await loggedIn(tokens.contact);
    await page.goto(`${base}/dashboard/#/audits`);
    await page.locator('section.refused').waitFor();
    expect(await page.locator('section.refused h2').textContent()).toBe('Not allowed for role member-contact');
    await page.goto(`${base}/dashboard/#/tasks/${taskId}/models`);
    await expect.poll(() => page.locator('#models tbody tr').count()).toBe(1);
    expect(await page.locator('#models tbody td').last().textContent()).toBe('not shown to member contacts');
    expect(errors).toEqual([]);
  });
});
