// Audit conformance: metrics from the members' summed vectors equal an independent pooled-row
// implementation (written here from textbook definitions) to 1e-12, and histogram AUC is within
// 0.002 of the exact Mann–Whitney AUC, on a synthetic consortium and on the shared telco data.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SeededRandom, buildAuditLayout, computeAudit, decodeAuditAggregates, memberAuditVector, parseAuditPolicy, parseAuditPolicyText, policyHash, releaseAggregates,
  type AuditAggregates, type AuditPolicy, type AuditResult, type AuditRow,
} from '@consort/core';

const FIXTURES = new URL('./fixtures/audit/', import.meta.url);
const TOL = 1e-12;

interface PooledRow { member: number; score: number; label: number; values: Record<string, string | number> }

// ---- Independent implementation: every quantity straight from the pooled rows. ----------------

/** The group label a row falls in for one attribute, written from the policy text (not core's code). */
function groupOf(policy: AuditPolicy, name: string, row: PooledRow): string | null {
  const a = policy.attributes.find((x) => x.name === name)!;
  const raw = row.values[a.column];
  if (a.kind === 'categorical') return a.groups.includes(String(raw)) ? String(raw) : null;
  const v = Number(raw);
  const edges = a.bands;
  if (v < edges[0]) return a.groups[0];
  for (let i = 1; i < edges.length; i++) if (v >= edges[i - 1] && v < edges[i]) return a.groups[i];
  return a.groups[edges.length];
}

interface Confusion { tp: number; fp: number; tn: number; fn: number; n: number; members: Set<number> }

/** Rows of each cell of a grouping (key joined by "\u0001"), by textbook counting. */
function pooledCells(policy: AuditPolicy, attributes: string[], controlled: boolean, rows: PooledRow[], threshold: number): Map<string, { c: Confusion; rows: PooledRow[] }> {
  const out = new Map<string, { c: Confusion; rows: PooledRow[] }>();
  for (const row of rows) {
    const key: string[] = [];
    for (const name of attributes) {
      const g = groupOf(policy, name, row);
      if (g === null) break;
      key.push(g);
    }
    if (key.length < attributes.length) continue;
    if (controlled) {
      const v = String(row.values[policy.control!.column]);
      if (!policy.control!.groups.includes(v)) continue;
      key.push(v);
    }
    const k = key.join('\u0001');
    if (!out.has(k)) out.set(k, { c: { tp: 0, fp: 0, tn: 0, fn: 0, n: 0, members: new Set() }, rows: [] });
    const cell = out.get(k)!;
    const predicted = row.score >= threshold;
    if (row.label === 1 && predicted) cell.c.tp++;
    else if (row.label === 0 && predicted) cell.c.fp++;
    else if (row.label === 0) cell.c.tn++;
    else cell.c.fn++;
    cell.c.n++;
    cell.c.members.add(row.member);
    cell.rows.push(row);
  }
  return out;
}

const textbook = {
  selectionRate: (c: Confusion) => (c.tp + c.fp) / c.n,
  baseRate: (c: Confusion) => (c.tp + c.fn) / c.n,
  tpr: (c: Confusion) => c.tp / (c.tp + c.fn),
  fpr: (c: Confusion) => c.fp / (c.fp + c.tn),
  fnr: (c: Confusion) => c.fn / (c.tp + c.fn),
  tnr: (c: Confusion) => c.tn / (c.fp + c.tn),
  ppv: (c: Confusion) => c.tp / (c.tp + c.fp),
  npv: (c: Confusion) => c.tn / (c.tn + c.fn),
  fdr: (c: Confusion) => c.fp / (c.tp + c.fp),
  for: (c: Confusion) => c.fn / (c.tn + c.fn),
  accuracy: (c: Confusion) => (c.tp + c.tn) / c.n,
};

/** Exact AUC by comparing every positive with every negative (ties count half). */
function exactPairwiseAuc(rows: PooledRow[]): number {
  const pos = rows.filter((r) => r.label === 1).map((r) => r.score);
  const neg = rows.filter((r) => r.label === 0).map((r) => r.score).sort((a, b) => a - b);
  if (pos.length === 0 || neg.length === 0) return NaN;
  let wins = 0;
  for (const p of pos) {
    // Count negatives below and equal by binary search over the sorted negatives.
    let lo = 0;
    let hi = neg.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (neg[m] < p) lo = m + 1; else hi = m; }
    let eq = lo;
    while (eq < neg.length && neg[eq] === p) eq++;
    wins += lo + 0.5 * (eq - lo);
  }
  return wins / (pos.length * neg.length);
}

interface Comparison { counted: number; aucChecked: number; worstAucGap: number; withheld: number }

/** Compares every count-based metric of `result` with the pooled computation; returns how many were compared. */
function compareWithPooled(policy: AuditPolicy, result: AuditResult, rows: PooledRow[]): Comparison {
  let counted = 0;
  let aucChecked = 0;
  let worstAucGap = 0;
  let withheld = 0;
  const close = (actual: number | null, expected: number, what: string) => {
    if (!Number.isFinite(expected)) {
      expect(actual, what).toBeNull();
      return;
    }
    expect(actual, what).not.toBeNull();
    expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL);
    counted++;
  };
  for (const g of result.groupings) {
    policy.thresholds.forEach((threshold, t) => {
      const cells = pooledCells(policy, g.attributes, g.controlled, rows, threshold);
      for (const gr of g.groups) {
        const pooled = cells.get(gr.key.join('\u0001'));
        const n = pooled?.c.n ?? 0;
        const members = pooled?.c.members.size ?? 0;
        expect(gr.members, `${g.id} ${gr.label} members`).toBe(members);
        // Primary suppression from the pooled counts; any other withheld cell must say "complementary".
        const primary = n > 0 && (n < policy.minCellCount || members < policy.minMembers);
        if (primary) expect(gr.suppressed, `${g.id} ${gr.label} suppression`).toMatch(/^below-min-/);
        else if (gr.suppressed !== null) expect(gr.suppressed, `${g.id} ${gr.label} suppression`).toBe('complementary');
        if (gr.suppressed !== null) { withheld++; continue; }
        if (n === 0) { expect(gr.n).toBe(0); continue; }
        const c = pooled!.c;
        expect(gr.n).toBe(c.n);
        if (t === 0) close(gr.baseRate.value, textbook.baseRate(c), `${g.id} ${gr.label} base rate`);
        const m = gr.atThreshold[t];
        for (const name of ['selectionRate', 'tpr', 'fpr', 'fnr', 'ppv', 'npv', 'accuracy'] as const) close(m[name].value, textbook[name](c), `${g.id} ${gr.label} ${name}`);
        if (t === 0) {
          const positives = c.tp + c.fn;
          const exact = positives >= policy.minCellCount && c.n - positives >= policy.minCellCount ? exactPairwiseAuc(pooled!.rows) : NaN;
          if (!Number.isFinite(exact)) expect(gr.auc.value, `${g.id} ${gr.label} AUC of too few rows of a label`).toBeNull();
          else {
            const gap = Math.abs(gr.auc.value! - exact);
            worstAucGap = Math.max(worstAucGap, gap);
            expect(gap, `${g.id} ${gr.label} AUC ${gr.auc.value} vs exact ${exact}`).toBeLessThanOrEqual(0.002);
            aucChecked++;
          }
        }
      }
      // Across groups, per stratum.
      const released = new Set(g.groups.filter((x) => x.suppressed === null && x.n! > 0).map((x) => x.key.join('\u0001')));
      for (const d of g.disparities.filter((x) => x.threshold === threshold)) {
        const inStratum = [...cells.entries()]
          .filter(([k]) => d.stratum === null || k.split('\u0001').at(-1) === d.stratum)
          .filter(([k]) => released.has(`${k}`))
          .map(([k, v]) => ({ label: k.split('\u0001').slice(0, g.attributes.length).join(' × '), c: v.c }));
        const rates = (f: (c: Confusion) => number) => inStratum.map((x) => f(x.c)).filter(Number.isFinite);
        const maxMin = (f: (c: Confusion) => number) => { const r = rates(f); return r.length < 2 ? NaN : Math.max(...r) - Math.min(...r); };
        const minMax = (f: (c: Confusion) => number) => { const r = rates(f); return r.length < 2 ? NaN : Math.min(...r) / Math.max(...r); };
        close(d.fairlearn.demographic_parity_difference.value, maxMin(textbook.selectionRate), `${g.id} ${d.stratum} DPD`);
        close(d.fairlearn.demographic_parity_ratio.value, minMax(textbook.selectionRate), `${g.id} ${d.stratum} DPR`);
        close(d.fairlearn.equal_opportunity_difference.value, maxMin(textbook.tpr), `${g.id} ${d.stratum} EOpD`);
        close(d.fairlearn.equal_opportunity_ratio.value, minMax(textbook.tpr), `${g.id} ${d.stratum} EOpR`);
        close(d.fairlearn.equalized_odds_difference.value, Math.max(maxMin(textbook.tpr), maxMin(textbook.fpr)), `${g.id} ${d.stratum} EOD`);
        close(d.fairlearn.equalized_odds_ratio.value, Math.min(minMax(textbook.tpr), minMax(textbook.fpr)), `${g.id} ${d.stratum} EOR`);
        const ref = inStratum.find((x) => x.label === d.reference);
        if (!ref) continue;
        for (const x of inStratum) {
          if (x === ref) continue;
          const aif = d.aif360[x.label];
          const u = x.c;
          const p = ref.c;
          close(aif.statistical_parity_difference.value, textbook.selectionRate(u) - textbook.selectionRate(p), `${g.id} ${x.label} SPD`);
          close(aif.disparate_impact.value, textbook.selectionRate(u) / textbook.selectionRate(p), `${g.id} ${x.label} DI`);
          close(aif.equal_opportunity_difference.value, textbook.tpr(u) - textbook.tpr(p), `${g.id} ${x.label} EOD`);
          close(aif.average_odds_difference.value, 0.5 * ((textbook.fpr(u) - textbook.fpr(p)) + (textbook.tpr(u) - textbook.tpr(p))), `${g.id} ${x.label} AOD`);
          const aq = d.aequitas[x.label];
          close(aq.ppr_disparity.value, (u.tp + u.fp) / (p.tp + p.fp), `${g.id} ${x.label} ppr`);
          const pairs: Array<[string, (c: Confusion) => number]> = [
            ['pprev_disparity', textbook.selectionRate], ['precision_disparity', textbook.ppv], ['fdr_disparity', textbook.fdr],
            ['for_disparity', textbook.for], ['fpr_disparity', textbook.fpr], ['fnr_disparity', textbook.fnr],
            ['tpr_disparity', textbook.tpr], ['tnr_disparity', textbook.tnr], ['npv_disparity', textbook.npv],
          ];
          for (const [name, f] of pairs) close(aq[name].value, f(p) > 0 ? f(u) / f(p) : NaN, `${g.id} ${x.label} ${name}`);
        }
      }
    });
  }
  return { counted, aucChecked, worstAucGap, withheld };
}

// ---- The federated path: each member's vector, their sum, the decoded aggregates. -------------

function federatedAudit(policy: AuditPolicy, rows: PooledRow[], members: number): { aggregates: AuditAggregates; result: AuditResult } {
  const layout = buildAuditLayout(policy);
  const sum = new Array<number>(layout.length).fill(0);
  for (let m = 0; m < members; m++) {
    const mine: AuditRow[] = rows.filter((r) => r.member === m).map((r) => ({ score: r.score, label: r.label, values: r.values }));
    const v = memberAuditVector(mine, layout);
    v.forEach((x, i) => { sum[i] += x; });
  }
  const aggregates = decodeAuditAggregates(sum, layout);
  return { aggregates, result: computeAudit(aggregates, policy) };
}

// ---- Synthetic consortium. ------------------------------------------------------------------

function syntheticRows(): PooledRow[] {
  const rng = new SeededRandom(15);
  const rows: PooledRow[] = [];
  const sizes = [900, 700, 650, 500, 450];
  sizes.forEach((size, member) => {
    for (let i = 0; i < size; i++) {
      const u = rng.next();
      // Member 4 is the only one serving gender "X": a group present at one member.
      const gender = member === 4 && u < 0.1 ? 'X' : u < 0.55 ? 'F' : 'M';
      const age = Math.round(18 + 62 * rng.next() ** (member === 0 ? 1.4 : 1));
      const region = rng.next() < 0.6 ? 'north' : 'south';
      const x = rng.normal();
      const logit = -0.6 + 1.1 * x + (gender === 'F' ? -0.25 : 0.2) + (age >= 60 ? 0.5 : 0) + (region === 'south' ? 0.3 : 0);
      const p = 1 / (1 + Math.exp(-logit));
      const label = rng.next() < p ? 1 : 0;
      // The model sees x and age only, with member-specific noise.
      const score = 1 / (1 + Math.exp(-(-0.5 + 0.9 * x + 0.01 * (age - 45) + 0.3 * rng.normal())));
      rows.push({ member, score, label, values: { gender, age, region } });
    }
  });
  return rows;
}

const syntheticPolicy = parseAuditPolicy({
  attributes: [
    { name: 'gender', groups: ['F', 'M', 'X'], reference: 'M' },
    { name: 'age', kind: 'banded', bands: [30, 45, 60] },
  ],
  intersections: [['gender', 'age']],
  control: { column: 'region', groups: ['north', 'south'] },
  thresholds: [0.3, 0.5],
  histogramBins: 1000,
  bootstrap: { resamples: 200, seed: 7 },
});

describe('audit conformance: synthetic consortium (5 members, gender × age band, region control)', () => {
  const rows = syntheticRows();
  const { aggregates, result } = federatedAudit(syntheticPolicy, rows, 5);

  it('every count-based metric equals the pooled textbook computation to 1e-12; AUC within 0.002 of exact', () => {
    const { counted, aucChecked } = compareWithPooled(syntheticPolicy, result, rows);
    expect(counted).toBeGreaterThan(800);
    expect(aucChecked).toBeGreaterThan(20);
  });

  it('leaves no withheld cell derivable by subtraction: no total or margin has exactly one withheld cell', () => {
    const byId = new Map(result.groupings.map((g) => [g.id, g]));
    const withheld = (id: string, match: (key: string[]) => boolean) => byId.get(id)!.groups.filter((x) => match(x.key) && x.suppressed !== null).length;
    // Totals of each attribute grouping and of each region stratum.
    for (const g of result.groupings) {
      const strata = g.controlled ? ['north', 'south'] : [null];
      for (const s of strata) expect(withheld(g.id, (k) => s === null || k.at(-1) === s), `${g.id} ${s}`).not.toBe(1);
    }
    // Margins of the intersection: gender × age cells of one gender (with the gender cell), and of one age band.
    for (const gender of ['F', 'M', 'X']) {
      const cell = byId.get('gender')!.groups.find((x) => x.key[0] === gender)!;
      expect(withheld('gender×age', (k) => k[0] === gender) + (cell.suppressed ? 1 : 0), `gender ${gender}`).not.toBe(1);
    }
    for (const band of syntheticPolicy.attributes[1].groups) {
      const cell = byId.get('age')!.groups.find((x) => x.key[0] === band)!;
      expect(withheld('gender×age', (k) => k[1] === band) + (cell.suppressed ? 1 : 0), `age ${band}`).not.toBe(1);
    }
    expect(result.groupings.flatMap((g) => g.groups).some((x) => x.suppressed === 'complementary')).toBe(true);
  });

  it('suppresses the group present at one member, and its checks are inconclusive, never pass', () => {
    const gender = result.groupings.find((g) => g.id === 'gender')!;
    const x = gender.groups.find((g) => g.label === 'X')!;
    expect(x.members).toBe(1);
    expect(x.suppressed).toBe('below-min-members');
    expect(x.atThreshold).toEqual([]);
    const checks = result.checks.filter((c) => c.grouping === 'gender' && c.group === 'X');
    expect(checks.length).toBe(6);
    for (const c of checks) expect(c.verdict).toBe('inconclusive');
  });

  it('is deterministic: the same sum gives the same result, bit for bit', () => {
    expect(JSON.stringify(federatedAudit(syntheticPolicy, rows, 5).result)).toBe(JSON.stringify(result));
  });

  it('recomputes identically from the released aggregates after a JSON round trip (what verify reads)', () => {
    const released = JSON.parse(JSON.stringify(releaseAggregates(aggregates, syntheticPolicy)));
    expect(JSON.stringify(computeAudit(released, syntheticPolicy))).toBe(JSON.stringify(result));
  });

  it('holds only finite numbers or null (canonical JSON has no NaN or Infinity)', () => {
    const bad: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'number' && !Number.isFinite(v)) bad.push(path);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(result, 'result');
    expect(bad).toEqual([]);
  });
});

// ---- Telco: the shared churn data, six members, a fixed score formula. ------------------------

function telcoRows(): PooledRow[] {
  const lines = readFileSync(new URL('telco-audit.csv', FIXTURES), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const r = Object.fromEntries(head.map((h, j) => [h, cells[j]]));
    const tenure = Number(r.tenure);
    const logit = -1.1 + 1.3 * (r.Contract === 'Month-to-month' ? 1 : 0) - 0.9 * (r.Contract === 'Two year' ? 1 : 0)
      - 0.032 * tenure + 0.011 * (Number(r.MonthlyCharges) - 65) + 0.55 * (r.InternetService === 'Fiber optic' ? 1 : 0)
      + 0.25 * Number(r.SeniorCitizen);
    return {
      member: i % 6,
      score: 1 / (1 + Math.exp(-logit)),
      label: r.Churn === 'Yes' ? 1 : 0,
      values: { gender: r.gender, SeniorCitizen: r.SeniorCitizen, Contract: r.Contract, tenure },
    };
  });
}

describe('audit conformance: telco churn (6 members, gender × senior, contract control)', () => {
  const policy = telcoPolicy();

  it('reads the example policy file', () => {
    expect(policy.attributes.map((a) => a.name)).toEqual(['gender', 'senior']);
    expect(policy.intersections).toEqual([['gender', 'senior']]);
    expect(policy.control?.groups).toEqual(['Month-to-month', 'One year', 'Two year']);
    expect(policyHash(policy)).toMatch(/^[0-9a-f]{64}$/);
  });
  const rows = telcoRows();
  const { result } = federatedAudit(policy, rows, 6);

  it('every count-based metric equals the pooled textbook computation to 1e-12; AUC within 0.002 of exact', () => {
    const { counted, aucChecked, worstAucGap } = compareWithPooled(policy, result, rows);
    expect(counted).toBeGreaterThan(300);
    expect(aucChecked).toBeGreaterThan(20);
    expect(worstAucGap).toBeLessThan(0.002);
  });

  it('matches the committed expected values', () => {
    const expected = Object.fromEntries(result.groupings.flatMap((g) => g.groups.filter((x) => !x.suppressed).map((x) => [
      `${g.id}: ${x.label}`,
      { n: x.n, baseRate: x.baseRate.value, selectionRate: x.atThreshold[0].selectionRate.value, tpr: x.atThreshold[0].tpr.value, fpr: x.atThreshold[0].fpr.value, auc: x.auc.value },
    ])));
    const file = new URL('telco-expected.json', FIXTURES);
    if (process.env.UPDATE_AUDIT_FIXTURES === '1') writeFileSync(file, `${JSON.stringify({ verdict: result.verdict, groups: expected }, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(file, 'utf8'));
    expect(committed.verdict).toBe(result.verdict);
    for (const [k, v] of Object.entries(committed.groups as Record<string, Record<string, number>>)) {
      for (const [m, value] of Object.entries(v)) expect(Math.abs((expected[k] as Record<string, number>)[m] - value), `${k} ${m}`).toBeLessThanOrEqual(TOL);
    }
    expect(Object.keys(committed.groups).sort()).toEqual(Object.keys(expected).sort());
  });
});

/** The telco policy: examples/audit-policy.yaml with a lighter bootstrap. */
function telcoPolicy(): AuditPolicy {
  const example = parseAuditPolicyText(readFileSync(new URL('../examples/audit-policy.yaml', import.meta.url), 'utf8'));
  return { ...example, bootstrap: { resamples: 200, seed: example.bootstrap.seed } };
}
