// Tests of generateConsortium: determinism, non-IID spread, value ranges, learnable churn.
import { describe, expect, it } from 'vitest';
import { churnRate, generateConsortium, MIN_MEMBER_ROWS, type MemberDataset } from './consortium.ts';
import { churnTaskSchema } from './schema.ts';
import { AGE_BANDS, CHANNELS, COLUMNS, GENDERS, PLANS, REGIONS, type CustomerRow } from './vocabulary.ts';

const consortium = generateConsortium({ members: 8, seed: 7 });
const allRows = consortium.flatMap((d) => d.rows);

function mean(rows: readonly CustomerRow[], column: keyof CustomerRow): number {
  return rows.reduce((s, r) => s + Number(r[column]), 0) / rows.length;
}

function regionShares(d: MemberDataset): number[] {
  return REGIONS.map((r) => d.rows.filter((row) => row.region === r).length / d.rows.length);
}

describe('generateConsortium determinism', () => {
  it('gives identical data for the same seed', () => {
    expect(JSON.stringify(generateConsortium({ members: 8, seed: 7 }))).toBe(JSON.stringify(consortium));
  });

  it('gives different data for a different seed', () => {
    const other = generateConsortium({ members: 8, seed: 8 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(consortium));
    expect(other.map((d) => d.rows.length)).not.toEqual(consortium.map((d) => d.rows.length));
  });
});

describe('generateConsortium non-IID members', () => {
  it.each([3, 7, 11, 2024])('keeps sizes >= 10x apart with a usable smallest member (seed %i)', (seed) => {
    const sizes = generateConsortium({ members: 8, seed }).map((d) => d.rows.length);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_MEMBER_ROWS);
  });

  it('keeps the 10x range even for a tiny total', () => {
    const sizes = generateConsortium({ members: 5, seed: 1, totalCustomers: 500 }).map((d) => d.rows.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_MEMBER_ROWS);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThanOrEqual(10);
  });

  it('totals about the requested number of customers', () => {
    expect(allRows.length).toBeGreaterThan(10_000);
    expect(allRows.length).toBeLessThan(14_000);
  });

  it('spreads churn base rates by at least 15 points', () => {
    const rates = consortium.map((d) => churnRate(d.rows));
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThanOrEqual(0.15);
    for (const r of rates) expect(r).toBeGreaterThan(0.05);
    for (const r of rates) expect(r).toBeLessThan(0.55);
  });

  it('gives members different region mixes, each mostly one or two regions', () => {
    const shares = consortium.map(regionShares);
    const tvd = (a: number[], b: number[]) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / 2;
    const distances = shares.flatMap((a, i) => shares.slice(i + 1).map((b) => tvd(a, b)));
    expect(distances.reduce((s, x) => s + x, 0) / distances.length).toBeGreaterThan(0.4);
    for (const s of shares) {
      const [first, second] = [...s].sort((x, y) => y - x);
      expect(first + second).toBeGreaterThan(0.75);
    }
  });

  it('gives members different age mixes and price levels', () => {
    const young = consortium.map((d) => d.rows.filter((r) => r.age_band === '18-24' || r.age_band === '25-34').length / d.rows.length);
    expect(Math.max(...young) - Math.min(...young)).toBeGreaterThan(0.2);
    const aov = consortium.map((d) => mean(d.rows.filter((r) => r.avg_order_value !== ''), 'avg_order_value'));
    expect(Math.max(...aov) / Math.min(...aov)).toBeGreaterThan(3);
  });

  it('names members plausibly and uniquely', () => {
    expect(consortium.map((d) => d.memberId)).toEqual(['member-01', 'member-02', 'member-03', 'member-04', 'member-05', 'member-06', 'member-07', 'member-08']);
    const names = consortium.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)+$/);
  });
});

describe('generateConsortium values', () => {
  const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const hasAtMost2Decimals = (v: number) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6;

  // Collects problems instead of asserting per cell: 12,000 rows x 24 columns of expect() is slow.
  function problems(r: CustomerRow): string[] {
    const bad: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) bad.push(`${r.customer_id}: ${what}`);
    };
    check(Object.keys(r).join() === COLUMNS.join(), 'columns');
    check(typeof r.customer_id === 'string' && r.customer_id !== '', 'customer_id');
    check(/^\d{4}-\d{2}-\d{2}$/.test(String(r.signup_date)), `signup_date=${r.signup_date}`);
    check(Date.parse(`${r.signup_date}T00:00:00Z`) + Number(r.tenure_days) * 86_400_000 === Date.parse('2025-06-30T00:00:00Z'), 'signup_date + tenure_days = cutoff');
    check((PLANS as readonly unknown[]).includes(r.plan), `plan=${r.plan}`);
    check((CHANNELS as readonly unknown[]).includes(r.channel), `channel=${r.channel}`);
    check((REGIONS as readonly unknown[]).includes(r.region), `region=${r.region}`);
    check((AGE_BANDS as readonly unknown[]).includes(r.age_band), `age_band=${r.age_band}`);
    check((GENDERS as readonly unknown[]).includes(r.gender), `gender=${r.gender}`);
    check(r.consent === 'yes' || r.consent === 'no', `consent=${r.consent}`);
    for (const c of ['tenure_days', 'recency_days', 'frequency', 'email_opens', 'email_clicks', 'web_visits', 'support_tickets', 'referrals'] as const) {
      check(isCount(r[c]), `${c}=${r[c]}`);
    }
    check(Number(r.tenure_days) >= 1, 'tenure_days >= 1');
    check(Number(r.recency_days) <= Number(r.tenure_days), 'recency_days <= tenure_days');
    check(Number(r.email_clicks) <= Number(r.email_opens), 'email_clicks <= email_opens');
    check(hasAtMost2Decimals(Number(r.monetary)), `monetary=${r.monetary}`);
    check(hasAtMost2Decimals(Number(r.next_period_spend)) && Number(r.next_period_spend) >= 0, `next_period_spend=${r.next_period_spend}`);
    const sentiment = r.ticket_sentiment;
    check(sentiment === '' || (typeof sentiment === 'number' && sentiment >= -1 && sentiment <= 1 && hasAtMost2Decimals(sentiment)), `ticket_sentiment=${sentiment}`);
    check(r.nps === '' || (isCount(r.nps) && Number(r.nps) <= 10), `nps=${r.nps}`);
    check(r.churned === 0 || r.churned === 1, `churned=${r.churned}`);
    check(r.converted === 0 || r.converted === 1, `converted=${r.converted}`);
    return bad;
  }

  it('fills every column with a well-formed value', () => {
    expect(allRows.flatMap(problems).slice(0, 10)).toEqual([]);
    expect(new Set(allRows.map((r) => r.customer_id)).size).toBe(allRows.length);
  });

  it('keeps monetary, order value and inter-purchase time consistent with frequency', () => {
    for (const r of allRows) {
      const f = Number(r.frequency);
      if (f === 0) {
        expect(r.monetary).toBe(0);
        expect(r.avg_order_value).toBe('');
      } else {
        expect(Math.abs(f * Number(r.avg_order_value) - Number(r.monetary))).toBeLessThanOrEqual(f * 0.005 + 1e-9);
      }
      if (f <= 1) expect(r.inter_purchase_days).toBe('');
      else expect(Number(r.inter_purchase_days)).toBeGreaterThan(0);
    }
  });

  it('leaves a few blanks in nps and ticket_sentiment, as real exports do', () => {
    for (const c of ['nps', 'ticket_sentiment'] as const) {
      const blank = allRows.filter((r) => r[c] === '').length / allRows.length;
      expect(blank).toBeGreaterThan(0.005);
      expect(blank).toBeLessThan(0.03);
    }
  });

  it('has about 95 % marketing consent, and no email activity without it', () => {
    const share = allRows.filter((r) => r.consent === 'yes').length / allRows.length;
    expect(share).toBeGreaterThan(0.92);
    expect(share).toBeLessThan(0.98);
    for (const r of allRows.filter((x) => x.consent === 'no')) expect(r.email_opens).toBe(0);
  });
});

describe('generateConsortium labels', () => {
  const churned = allRows.filter((r) => r.churned === 1);
  const stayed = allRows.filter((r) => r.churned === 0);

  it('makes churn learnable: churned customers have clearly higher recency and lower frequency', () => {
    expect(mean(churned, 'recency_days')).toBeGreaterThan(1.5 * mean(stayed, 'recency_days'));
    expect(mean(churned, 'frequency')).toBeLessThan(mean(stayed, 'frequency'));
    for (const d of consortium.filter((m) => m.rows.length >= 500)) {
      const c = d.rows.filter((r) => r.churned === 1);
      const s = d.rows.filter((r) => r.churned === 0);
      expect(mean(c, 'recency_days'), d.memberId).toBeGreaterThan(mean(s, 'recency_days'));
    }
  });

  it('ties complaints that went badly to churn', () => {
    const unhappy = allRows.filter((r) => Number(r.support_tickets) >= 2 && r.ticket_sentiment !== '' && Number(r.ticket_sentiment) < -0.3);
    expect(churnRate(unhappy)).toBeGreaterThan(churnRate(allRows) + 0.1);
  });

  it('gives churned customers little next-period spend, mostly zero', () => {
    expect(churned.filter((r) => r.next_period_spend === 0).length / churned.length).toBeGreaterThan(0.75);
    expect(mean(churned, 'next_period_spend')).toBeLessThan(0.2 * mean(stayed, 'next_period_spend'));
  });

  it('drives conversion by email engagement', () => {
    const engaged = allRows.filter((r) => Number(r.email_clicks) >= 2);
    const silent = allRows.filter((r) => r.email_opens === 0);
    expect(mean(engaged, 'converted')).toBeGreaterThan(mean(silent, 'converted') + 0.15);
  });
});

describe('churnTaskSchema', () => {
  it('uses behaviour and plan/channel/region, never protected attributes, other labels or identifiers', () => {
    const schema = churnTaskSchema();
    const features = [...schema.numeric, ...schema.categorical];
    for (const f of features) expect(COLUMNS).toContain(f);
    for (const banned of ['gender', 'age_band', 'churned', 'converted', 'next_period_spend', 'customer_id', 'signup_date', 'consent']) {
      expect(features).not.toContain(banned);
    }
    expect(schema.protected).toEqual(['gender', 'age_band']);
    expect(schema.label).toBe('churned');
    expect(schema.positiveLabel).toEqual(['1']);
    expect(schema.vocabularies).toEqual({ plan: [...PLANS], channel: [...CHANNELS], region: [...REGIONS] });
    expect(schema.categorical).toEqual(Object.keys(schema.vocabularies));
  });
});
