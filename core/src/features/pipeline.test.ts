// Tests for the feature pipeline: federated fit equals a pooled fit, encoding, and data errors.
import { describe, expect, it } from 'vitest';
import { ConsortError, isConsortError } from '../errors/consort-error.ts';
import {
  encodeLabel, encodeRow, encodeTarget, encodedFeatureNames, fitPipeline, localFeatureStats, pipelineFromStats, pipelineInputDim, type FeatureSchema,
} from './pipeline.ts';
import { MOMENT_SLOTS } from './exact-moments.ts';

const schema: FeatureSchema = { numeric: ['age', 'spend'], categorical: ['plan'], label: 'churned' };
const vocab = { plan: ['basic', 'pro', 'max'] };
const memberA = [
  { age: '20', spend: '10', plan: 'basic', churned: '1' },
  { age: '30', spend: '', plan: 'pro', churned: '0' },
];
const memberB = [
  { age: '40', spend: '30', plan: 'pro', churned: 'yes' },
  { age: '50', spend: '20', plan: '', churned: 'no' },
];

function catchErr(fn: () => unknown): ConsortError {
  try { fn(); } catch (e) { if (e instanceof ConsortError) return e; throw e; }
  throw new Error('expected a ConsortError');
}

describe('feature pipeline', () => {
  it('fits from the sum of member statistics exactly as from pooled rows', () => {
    const a = localFeatureStats(schema, vocab, memberA);
    const b = localFeatureStats(schema, vocab, memberB);
    const sum = a.map((v, i) => v + b[i]);
    const p = pipelineFromStats(schema, vocab, sum, 'binary');
    expect(p).toEqual(pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, [...memberA, ...memberB]), 'binary'));
    expect(p.numeric[0].mean).toBe(35);
    expect(p.numeric[0].std).toBeCloseTo(Math.sqrt(125), 12);
    expect(p.numeric[1].mean).toBe(20); // missing spend is not counted
    expect(Array.from(sum.slice(2 * MOMENT_SLOTS))).toEqual([1, 2, 0]);
    expect(pipelineInputDim(p)).toBe(5);
    expect(encodedFeatureNames(p)).toEqual(['age', 'spend', 'plan=basic', 'plan=pro', 'plan=max']);
  });

  it('encodes standardized numerics, mean for missing, one-hot categories', () => {
    const p = pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, [...memberA, ...memberB]), 'binary');
    const x = encodeRow(p, { age: '45', spend: 'NA', plan: 'max', churned: '0' }, { file: 'a.csv', row: 2 });
    expect(x[0]).toBeCloseTo(10 / Math.sqrt(125), 6);
    expect(Array.from(x.slice(1))).toEqual([0, 0, 0, 1]);
    expect(Array.from(encodeRow(p, { age: '35', spend: '20', plan: '' }, { file: 'a.csv', row: 3 }))).toEqual([0, 0, 0, 0, 0]);
  });

  it('names file, row, column, value and the allowed values for an unknown category', () => {
    const p = pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, memberA), 'binary');
    const err = catchErr(() => encodeRow(p, { age: '1', spend: '2', plan: 'gold' }, { file: 'shop.csv', row: 17 }));
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('shop.csv, row 17, column "plan"');
    expect(err.message).toContain('"gold"');
    expect(err.message).toContain('basic, pro, max');
  });

  it('rejects non-numeric values and hints at decimal commas', () => {
    const p = pipelineFromStats(schema, vocab, localFeatureStats(schema, vocab, memberA), 'binary');
    const err = catchErr(() => encodeRow(p, { age: '3,5', spend: '2', plan: 'pro' }, { file: 'shop.csv', row: 4 }));
    expect(err.message).toMatch(/shop\.csv, row 4, column "age": "3,5" is not a number \(use "\." as the decimal separator\)/);
    expect(isConsortError(catchErr(() => encodeRow(p, { age: '0x10', spend: '2', plan: 'pro' }, { file: 'f', row: 2 })), 'DATA_INVALID')).toBe(true);
    expect(catchErr(() => encodeRow(p, { spend: '2', plan: 'pro' }, { file: 'f', row: 2 })).message).toContain('column "age": the column is missing');
    expect(catchErr(() => localFeatureStats(schema, vocab, [{ age: 'x', spend: '1', plan: 'pro', churned: '1' }], 'm.csv')).message).toContain('m.csv, row 2, column "age"');
  });

  it('encodes labels strictly', () => {
    const p = { label: 'churned', task: 'binary' as const };
    const at = { file: 'f.csv', row: 2 };
    expect(encodeLabel(p, { churned: 'Yes' }, at)).toBe(1);
    expect(encodeLabel(p, { churned: '0' }, at)).toBe(0);
    expect(catchErr(() => encodeLabel(p, { churned: 'maybe' }, at)).message).toContain('"maybe" is not a binary label');
    expect(catchErr(() => encodeLabel(p, { churned: ' ' }, at)).message).toContain('the label is empty');
    expect(encodeLabel({ ...p, positiveLabel: ['churn'] }, { churned: 'stay' }, at)).toBe(0);
    expect(encodeLabel({ ...p, positiveLabel: ['churn'] }, { churned: 'churn' }, at)).toBe(1);
    expect(encodeLabel({ label: 'spend', task: 'regression' }, { spend: '12.5' }, at)).toBe(12.5);
  });

  it('gives constant and empty columns std 1 with a named warning, and rejects a wrong-length sum', () => {
    const s: FeatureSchema = { numeric: ['c', 'e', 'v'], categorical: [], label: 'y' };
    const rows = [{ c: '5', e: '', v: '1' }, { c: '5', e: '', v: '2' }];
    const { pipeline, warnings } = fitPipeline(s, {}, localFeatureStats(s, {}, rows), 'binary');
    expect(pipeline.numeric).toEqual([{ name: 'c', mean: 5, std: 1 }, { name: 'e', mean: 0, std: 1 }, { name: 'v', mean: 1.5, std: 0.5 }]);
    expect(warnings.map((w) => [w.code, w.column])).toEqual([['ZERO_VARIANCE_COLUMN', 'c'], ['ZERO_VARIANCE_COLUMN', 'e']]);
    expect(warnings[0].message).toContain('"c" has the same value (5) in every row');
    expect(warnings[1].message).toContain('"e" has no values');
    expect(() => pipelineFromStats(s, {}, [1, 2], 'binary')).toThrow(new RegExp(`needs ${3 * MOMENT_SLOTS}`));
    expect(() => localFeatureStats({ ...s, categorical: ['z'] }, {}, [])).toThrow(/no vocabulary/);
  });

  it('fits a regression label in the same statistics and trains on the standardized target', () => {
    const s: FeatureSchema = { numeric: ['x'], categorical: [], label: 'spend' };
    const rows = [{ x: '1', spend: '1000' }, { x: '2', spend: '3000' }];
    const stats = localFeatureStats(s, {}, rows, 'a.csv', 'regression');
    expect(stats.length).toBe(2 * MOMENT_SLOTS);
    const { pipeline } = fitPipeline(s, {}, stats, 'regression');
    expect(pipeline.target).toEqual({ mean: 2000, std: 1000 });
    expect(encodeTarget(pipeline, rows[1], { file: 'a.csv', row: 3 })).toBe(1);
    expect(encodeTarget({ label: 'churned', task: 'binary' }, { churned: 'yes' }, { file: 'a.csv', row: 2 })).toBe(1);
    // A constant label keeps identity scaling and is named.
    const flat = fitPipeline(s, {}, localFeatureStats(s, {}, [rows[0], rows[0]], 'a.csv', 'regression'), 'regression');
    expect(flat.pipeline.target).toEqual({ mean: 1000, std: 1 });
    expect(flat.warnings.map((w) => w.column)).toEqual(['x', 'spend']);
  });

  it('refuses a value beyond ±1e12 naming file, row and column (never clips it)', () => {
    const s: FeatureSchema = { numeric: ['balance'], categorical: [], label: 'y' };
    const err = catchErr(() => localFeatureStats(s, {}, [{ balance: '5' }, { balance: '-2e12' }], 'bank.csv'));
    expect(err.code).toBe('DATA_INVALID');
    expect(err.message).toContain('bank.csv, row 3, column "balance"');
    expect(err.message).toContain('outside ±1e12');
    expect(err.message).toContain('rescale the column');
    expect(() => localFeatureStats(s, {}, [{ balance: '1e12' }, { balance: '-1e12' }])).not.toThrow();
  });
});
