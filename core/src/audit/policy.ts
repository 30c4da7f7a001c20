// The audit policy: parse (YAML/JSON text), validate with field-named errors, resolve defaults once, hash.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { parse as parseYaml } from 'yaml';
import { ConsortError } from '../errors/consort-error.ts';
import { CHECK_METRICS, type AuditAttribute, type AuditPolicy, type AuditPolicyInput, type CheckMetric, type ParityMetric } from './types.ts';

/** Every default of the policy, in one place (docs/audits.md lists them). */
export const AUDIT_POLICY_DEFAULTS: {
  thresholds: number[]; histogramBins: number; band: { lo: number; hi: number }; confidenceLevel: number; minCellCount: number;
  minMembers: number; bootstrap: { resamples: number; seed: number }; checks: CheckMetric[]; calibrationBins: number;
  memberParity: { metric: ParityMetric; bins: number };
} = {
  thresholds: [0.5],
  histogramBins: 1000,
  band: { lo: 0.8, hi: 1.25 },
  confidenceLevel: 0.95,
  minCellCount: 10,
  minMembers: 5,
  bootstrap: { resamples: 1000, seed: 1 },
  checks: ['selectionRate', 'tpr', 'fpr'],
  calibrationBins: 10,
  memberParity: { metric: 'auc', bins: 20 },
};

const TOP_KEYS = [
  'attributes', 'intersections', 'control', 'thresholds', 'histogramBins', 'band', 'confidenceLevel',
  'minCellCount', 'minMembers', 'bootstrap', 'checks', 'calibrationBins', 'memberParity',
];
const ATTRIBUTE_KEYS = ['name', 'column', 'kind', 'bands', 'bandLabels', 'groups', 'reference'];

function fail(field: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `audit policy field "${field}": ${message}`, { field });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(where ? `${where}.${key}` : key, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail(field, 'must be a non-empty string');
  return v;
}

function int(v: unknown, field: string, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(field, 'must be a non-empty list of strings');
  const out = v.map((x, i) => (typeof x === 'number' ? String(x) : str(x, `${field}[${i}]`)));
  const dup = out.find((x, i) => out.indexOf(x) !== i);
  if (dup !== undefined) fail(field, `lists "${dup}" twice`);
  return out;
}

/** Default band names: "<a", "a–<b", …, "≥z". */
export function defaultBandLabels(edges: number[]): string[] {
  const labels = [`<${edges[0]}`];
  for (let i = 1; i < edges.length; i++) labels.push(`${edges[i - 1]}–<${edges[i]}`);
  labels.push(`≥${edges[edges.length - 1]}`);
  return labels;
}

function attribute(v: unknown, i: number): AuditAttribute {
  const where = `attributes[${i}]`;
  if (!isRecord(v)) fail(where, 'must be an object with name, column, kind');
  checkKeys(v, ATTRIBUTE_KEYS, where);
  const name = str(v.name, `${where}.name`);
  if (/[×|]/.test(name)) fail(`${where}.name`, 'must not contain "×" or "|" (they join grouping ids)');
  const column = v.column === undefined ? name : str(v.column, `${where}.column`);
  const kind = v.kind ?? 'categorical';
  if (kind !== 'categorical' && kind !== 'banded') fail(`${where}.kind`, `must be "categorical" or "banded", got ${JSON.stringify(kind)}`);
  let bands: number[] = [];
  let groups: string[];
  if (kind === 'banded') {
    if (!Array.isArray(v.bands) || v.bands.length === 0) fail(`${where}.bands`, 'a banded attribute needs ascending numeric band edges, e.g. [25, 35, 50, 65]');
    bands = v.bands.map((b, j) => {
      if (typeof b !== 'number' || !Number.isFinite(b)) fail(`${where}.bands[${j}]`, `must be a finite number, got ${JSON.stringify(b)}`);
      return b;
    });
    for (let j = 1; j < bands.length; j++) if (!(bands[j] > bands[j - 1])) fail(`${where}.bands`, 'edges must be strictly ascending');
    if (v.groups !== undefined) fail(`${where}.groups`, 'a banded attribute takes bandLabels, not groups');
    groups = v.bandLabels === undefined ? defaultBandLabels(bands) : strings(v.bandLabels, `${where}.bandLabels`);
    if (groups.length !== bands.length + 1) fail(`${where}.bandLabels`, `needs ${bands.length + 1} names (one more than the edges), got ${groups.length}`);
  } else {
    if (v.bands !== undefined || v.bandLabels !== undefined) fail(`${where}.bands`, 'only a banded attribute has bands');
    if (v.groups === undefined) fail(`${where}.groups`, 'list the groups audited (fixed before the round, so every member sends the same layout)');
    groups = strings(v.groups, `${where}.groups`);
  }
  let reference: string | null = null;
  if (v.reference !== undefined) {
    reference = typeof v.reference === 'number' ? String(v.reference) : str(v.reference, `${where}.reference`);
    if (!groups.includes(reference)) fail(`${where}.reference`, `"${reference}" is not one of the groups (${groups.join(', ')})`);
  }
  return { name, column, kind, bands, groups, reference };
}

function probability(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) fail(field, `must be a number strictly between 0 and 1, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Validates a policy object (parsed YAML or JSON) and resolves every default. Errors are
 * INVALID_ARGUMENT naming the field (e.g. `attributes[1].bands`).
 */
export function parseAuditPolicy(input: unknown): AuditPolicy {
  if (!isRecord(input)) fail('(root)', 'the policy must be an object with at least "attributes"');
  checkKeys(input, TOP_KEYS, '');
  if (!Array.isArray(input.attributes) || input.attributes.length === 0) fail('attributes', 'list at least one protected attribute');
  const attributes = input.attributes.map(attribute);
  const names = attributes.map((a) => a.name);
  const dupName = names.find((n, i) => names.indexOf(n) !== i);
  if (dupName !== undefined) fail('attributes', `attribute "${dupName}" is listed twice`);

  const intersections: string[][] = [];
  if (input.intersections !== undefined) {
    if (!Array.isArray(input.intersections)) fail('intersections', 'must be a list of attribute-name lists, e.g. [[gender, age]]');
    input.intersections.forEach((t, i) => {
      const tuple = strings(t, `intersections[${i}]`);
      if (tuple.length < 2) fail(`intersections[${i}]`, 'an intersection joins at least two attributes');
      for (const n of tuple) if (!names.includes(n)) fail(`intersections[${i}]`, `"${n}" is not an attribute name (${names.join(', ')})`);
      const id = tuple.join('×');
      if (intersections.some((x) => x.join('×') === id)) fail(`intersections[${i}]`, 'listed twice');
      intersections.push(tuple);
    });
  }

  let control: AuditPolicy['control'] = null;
  if (input.control !== undefined) {
    const c = input.control;
    if (!isRecord(c)) fail('control', 'must be an object { column, groups }');
    checkKeys(c, ['column', 'name', 'groups'], 'control');
    const column = str(c.column, 'control.column');
    const name = c.name === undefined ? column : str(c.name, 'control.name');
    if (names.includes(name)) fail('control.name', `"${name}" is already a protected attribute`);
    control = { name, column, groups: strings(c.groups, 'control.groups') };
  }

  let thresholds: number[] = [...AUDIT_POLICY_DEFAULTS.thresholds];
  if (input.thresholds !== undefined) {
    if (!Array.isArray(input.thresholds) || input.thresholds.length === 0) fail('thresholds', 'must be a non-empty list of numbers in (0, 1)');
    thresholds = input.thresholds.map((t, i) => probability(t, `thresholds[${i}]`));
    for (let i = 1; i < thresholds.length; i++) if (!(thresholds[i] > thresholds[i - 1])) fail('thresholds', 'must be strictly ascending');
  }

  const histogramBins = int(input.histogramBins, 'histogramBins', 100, AUDIT_POLICY_DEFAULTS.histogramBins);

  let band = { ...AUDIT_POLICY_DEFAULTS.band };
  if (input.band !== undefined) {
    if (!isRecord(input.band)) fail('band', 'must be an object { lo, hi }, e.g. { lo: 0.8, hi: 1.25 }');
    checkKeys(input.band, ['lo', 'hi'], 'band');
    const lo = input.band.lo;
    const hi = input.band.hi;
    if (typeof lo !== 'number' || !(lo > 0 && lo < 1)) fail('band.lo', `must be in (0, 1), got ${JSON.stringify(lo)}`);
    if (typeof hi !== 'number' || !(hi > 1 && Number.isFinite(hi))) fail('band.hi', `must be a finite number > 1, got ${JSON.stringify(hi)}`);
    band = { lo, hi };
  }

  const confidenceLevel = input.confidenceLevel === undefined ? AUDIT_POLICY_DEFAULTS.confidenceLevel : probability(input.confidenceLevel, 'confidenceLevel');
  if (confidenceLevel < 0.5) fail('confidenceLevel', 'must be at least 0.5');
  const minCellCount = int(input.minCellCount, 'minCellCount', 1, AUDIT_POLICY_DEFAULTS.minCellCount);
  const minMembers = int(input.minMembers, 'minMembers', 1, AUDIT_POLICY_DEFAULTS.minMembers);

  let bootstrap = { ...AUDIT_POLICY_DEFAULTS.bootstrap };
  if (input.bootstrap !== undefined) {
    if (!isRecord(input.bootstrap)) fail('bootstrap', 'must be an object { resamples, seed }');
    checkKeys(input.bootstrap, ['resamples', 'seed'], 'bootstrap');
    bootstrap = {
      resamples: int(input.bootstrap.resamples, 'bootstrap.resamples', 100, bootstrap.resamples),
      seed: int(input.bootstrap.seed, 'bootstrap.seed', 0, bootstrap.seed),
    };
    if (bootstrap.seed > 0xffffffff) fail('bootstrap.seed', 'must fit in 32 bits');
  }

  let checks = [...AUDIT_POLICY_DEFAULTS.checks];
  if (input.checks !== undefined) {
    checks = strings(input.checks, 'checks').map((c, i) => {
      if (!(CHECK_METRICS as readonly string[]).includes(c)) fail(`checks[${i}]`, `"${c}" is not one of ${CHECK_METRICS.join(', ')}`);
      return c as CheckMetric;
    });
  }

  const calibrationBins = int(input.calibrationBins, 'calibrationBins', 2, AUDIT_POLICY_DEFAULTS.calibrationBins);
  if (histogramBins % calibrationBins !== 0) fail('calibrationBins', `must divide histogramBins (${histogramBins})`);

  let memberParity = { ...AUDIT_POLICY_DEFAULTS.memberParity };
  if (input.memberParity !== undefined) {
    const p = input.memberParity;
    if (!isRecord(p)) fail('memberParity', 'must be an object { metric, bins }');
    checkKeys(p, ['metric', 'bins'], 'memberParity');
    const metric = p.metric ?? memberParity.metric;
    if (metric !== 'auc' && metric !== 'accuracy') fail('memberParity.metric', `must be "auc" or "accuracy", got ${JSON.stringify(metric)}`);
    memberParity = { metric, bins: int(p.bins, 'memberParity.bins', 2, memberParity.bins) };
  }

  return {
    version: 1,
    attributes,
    intersections,
    control,
    thresholds,
    histogramBins,
    band,
    confidenceLevel,
    minCellCount,
    minMembers,
    bootstrap,
    checks,
    calibrationBins,
    memberParity,
    ciMethods: { rate: 'wilson', difference: 'newcombe-hybrid-score', ratio: 'katz-log', spread: 'bootstrap-percentile', multipleChecks: 'holm' },
  };
}

/** Parses policy text (YAML, of which JSON is a subset) and validates it. */
export function parseAuditPolicyText(text: string): AuditPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    fail('(file)', `not valid YAML/JSON: ${(err as Error).message}`);
  }
  return parseAuditPolicy(raw);
}

/** SHA-256 hex of the resolved policy's RFC 8785 canonical JSON: fixed before the audit round runs. */
export function policyHash(policy: AuditPolicy): string {
  return createHash('sha256').update(canonicalize(policy) ?? '').digest('hex');
}

/**
 * The resolved policy written back as policy input (every default spelled out), so a task that
 * pins its policy can be stored and sent as a task file: parseAuditPolicy(auditPolicyInputOf(p))
 * deep-equals p, and so hashes the same.
 */
export function auditPolicyInputOf(policy: AuditPolicy): AuditPolicyInput {
  return {
    attributes: policy.attributes.map((a) => ({
      name: a.name, column: a.column, kind: a.kind,
      ...(a.kind === 'banded' ? { bands: a.bands, bandLabels: a.groups } : { groups: a.groups }),
      ...(a.reference !== null ? { reference: a.reference } : {}),
    })),
    ...(policy.intersections.length ? { intersections: policy.intersections } : {}),
    ...(policy.control ? { control: policy.control } : {}),
    thresholds: policy.thresholds, histogramBins: policy.histogramBins, band: policy.band, confidenceLevel: policy.confidenceLevel,
    minCellCount: policy.minCellCount, minMembers: policy.minMembers, bootstrap: policy.bootstrap, checks: policy.checks,
    calibrationBins: policy.calibrationBins, memberParity: policy.memberParity,
  };
}
