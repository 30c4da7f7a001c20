// The task resolver: every kind, defaults, and every refusal naming its field.
import { describe, expect, it } from 'vitest';
import { isConsortError } from '../errors/consort-error.ts';
import { DEFAULT_DROPOUT_TOLERANCE } from '../secagg/params.ts';
import { parseAuditPolicy, policyHash } from '../audit/policy.ts';
import { resolveTask, resolveTaskDefinition, type TaskDefinitionInput } from './task-definition.ts';

const base: TaskDefinitionInput = { name: 'churn', label: 'churned', numeric: ['recency_days'] };

describe('task definition: dropoutTolerance', () => {
  it('defaults to 0.1 and keeps a declared value', () => {
    expect(resolveTaskDefinition(base).dropoutTolerance).toBe(DEFAULT_DROPOUT_TOLERANCE);
    expect(resolveTaskDefinition({ ...base, dropoutTolerance: 0.3 }).dropoutTolerance).toBe(0.3);
  });

  for (const bad of [0.5, -0.1, Number.NaN]) {
    it(`refuses ${bad}, naming the field`, () => {
      let err: unknown;
      try {
        resolveTaskDefinition({ ...base, dropoutTolerance: bad });
      } catch (e) {
        err = e;
      }
      expect(isConsortError(err) && err.code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toBe(
        'task definition field "dropoutTolerance": must be in [0, 0.5): the fraction of members a round may lose (e.g. 0.3); beyond half no secure round can finish',
      );
    });
  }
});

describe('task definition: training defaults', () => {
  it('trains until early stopping with a generous cap, FedAvg and two local epochs, without any setting', () => {
    const d = resolveTaskDefinition(base);
    expect(d.earlyStopping).toEqual({ patience: 10, minDelta: 1e-4 });
    expect(d.maxRounds).toBe(200);
    expect(d.strategy).toEqual({ name: 'fedavg' });
    expect(d.train).toEqual({ localEpochs: 2, batchSize: 64, learningRate: 0.05, proximalMu: 0 });
  });

  it('keeps what the operator wrote and fills the rest', () => {
    const d = resolveTaskDefinition({ ...base, earlyStopping: { patience: 3 }, maxRounds: 40, strategy: { name: 'fedadam' }, train: { localEpochs: 1 } });
    expect(d.earlyStopping).toEqual({ patience: 3, minDelta: 1e-4 });
    expect(d.maxRounds).toBe(40);
    expect(d.strategy).toEqual({ name: 'fedadam' });
    expect(d.train).toEqual({ localEpochs: 1, batchSize: 64, learningRate: 0.05, proximalMu: 0 });
  });

  it('turns early stopping off with false', () => {
    expect(resolveTaskDefinition({ ...base, earlyStopping: false }).earlyStopping).toBeUndefined();
  });

  it('refuses a bad cap or patience, naming the field', () => {
    expect(() => resolveTaskDefinition({ ...base, maxRounds: 0 })).toThrow(/field "maxRounds": must be an integer ≥ 1/);
    expect(() => resolveTaskDefinition({ ...base, earlyStopping: { patience: 0 } })).toThrow(/field "earlyStopping": early stopping option "patience"/);
  });
});

const seg: TaskDefinitionInput = { name: 'segments', kind: 'segmentation', segmentation: { features: ['recency', 'frequency'], profileLabels: ['churned'] } };
const segDp: TaskDefinitionInput = {
  name: 'segments-dp', kind: 'segmentation', segmentation: { features: ['recency', 'frequency'] },
  privacy: { epsilon: 4, noiseMultiplier: 2, statistics: { noiseMultiplier: 2, bounds: { recency: [0, 400], frequency: [0, 50] } } },
};

function errorOf(input: unknown): { field?: unknown; message: string } {
  try {
    resolveTask(input);
  } catch (e) {
    expect(isConsortError(e) && e.code).toBe('INVALID_ARGUMENT');
    return { field: isConsortError(e) ? e.details?.field : undefined, message: (e as Error).message };
  }
  throw new Error('expected the task to be refused');
}

describe('resolveTask: one resolver for every kind', () => {
  it('resolves a binary logistic, a regression linear and an MLP model task', () => {
    const bin = resolveTask(base);
    expect(bin.kind).toBe('model');
    if (bin.kind !== 'model') throw new Error('kind');
    expect(bin.model).toEqual({ kind: 'logistic', task: 'binary', hidden: [], activation: 'relu', dropout: 0, l2: 0 });
    const reg = resolveTask({ ...base, model: { task: 'regression' } });
    expect(reg.kind === 'model' && reg.model.task).toBe('regression');
    const mlp = resolveTask({ ...base, model: { kind: 'mlp' } });
    expect(mlp.kind === 'model' && mlp.model.hidden).toEqual([32, 16]);
  });

  it('resolves a segmentation task with no label, no model and no training settings', () => {
    const t = resolveTask(seg);
    expect(t.kind).toBe('segmentation');
    expect(t).not.toHaveProperty('label');
    expect(t).not.toHaveProperty('model');
    expect(t).not.toHaveProperty('train');
    if (t.kind !== 'segmentation') throw new Error('kind');
    expect(t.segmentation).toMatchObject({ features: ['recency', 'frequency'], ks: [2, 3, 4, 5, 6, 7, 8], restarts: 5, minClusterCount: 20, churnLabel: 'churned' });
    expect(t.aggregation).toBe('secure');
  });

  it('reads YAML and JSON text the same as an object', () => {
    expect(resolveTask('name: churn\nlabel: churned\nnumeric: [recency_days]\n')).toEqual(resolveTask(base));
    expect(resolveTask(JSON.stringify(base))).toEqual(resolveTask(base));
    expect(() => resolveTask('', 'x.yaml')).toThrow(/x\.yaml is empty/);
    expect(() => resolveTask('- a\n- b\n', 'x.yaml')).toThrow(/x\.yaml is not a mapping of settings \(it holds a list\)/);
    expect(() => resolveTask('name: [', 'x.yaml')).toThrow(/x\.yaml is not valid YAML or JSON/);
  });

  it('lets protectedInputs allow a protected attribute as a model input, and nothing else', () => {
    expect(errorOf({ ...base, numeric: ['recency_days', 'age'], protected: ['age'] }).field).toBe('protected');
    const t = resolveTask({ ...base, numeric: ['recency_days', 'age'], protected: ['age', 'gender'], protectedInputs: ['age'] });
    expect(t.protected).toEqual(['age', 'gender']);
    expect(t.protectedInputs).toEqual(['age']);
    expect(errorOf({ ...base, protectedInputs: ['age'] }).field).toBe('protectedInputs');
    expect(errorOf({ ...base, protected: ['churned'] }).field).toBe('protected');
  });

  const refusals: [string, unknown][] = [
    ['name', { ...base, name: ' ' }],
    ['kind', { ...base, kind: 'clustering' }],
    ['label', { name: 'x', numeric: ['a'] }],
    ['numeric', { name: 'x', label: 'y' }],
    ['numeric', { ...base, numeric: 'recency_days' }],
    ['categorical.plan', { ...base, categorical: { plan: [] } }],
    ['model.kind', { ...base, model: { kind: 'forest' } }],
    ['model.task', { ...base, model: { task: 'multiclass' } }],
    ['model.hidden', { ...base, model: { kind: 'mlp', hidden: [0] } }],
    ['model.activation', { ...base, model: { activation: 'gelu' } }],
    ['model.dropout', { ...base, model: { dropout: 1 } }],
    ['train.localEpochs', { ...base, train: { localEpochs: 0 } }],
    ['train.learningRate', { ...base, train: { learningRate: -1 } }],
    ['minMembers', { ...base, minMembers: 1 }],
    ['minMembers', { ...base, minMembers: 2 }],
    ['stageTimeoutSeconds', { ...base, stageTimeoutSeconds: 0 }],
    ['aggregation', { ...base, aggregation: 'masked' }],
    ['testFraction', { ...base, testFraction: 0.95 }],
    ['seed', { ...base, seed: -1 }],
    ['sampleFraction', { ...base, sampleFraction: 0 }],
    ['train.learningRat', { ...base, train: { learningRat: 0.1 } }],
    ['segmentation', { name: 's', kind: 'segmentation' }],
    ['segmentation', { ...base, segmentation: { features: ['a'] } }],
    ['segmentation.features', { ...seg, segmentation: { features: [] } }],
    ['segmentation.k', { ...seg, segmentation: { features: ['a'], k: 1 } }],
    ['segmentation.restarts', { ...seg, segmentation: { features: ['a'], restarts: 0 } }],
    ['segmentation.roles.recency', { ...seg, segmentation: { features: ['a'], roles: { recency: 'b' } } }],
    ['segmentation.profileLabels', { ...seg, segmentation: { features: ['a'], profileLabels: ['a'] } }],
    ['aggregation', { ...seg, aggregation: 'plain' }],
    ['label', { ...seg, label: 'churned' }],
    ['model', { ...seg, model: { kind: 'logistic' } }],
    ['numeric', { ...seg, numeric: ['a'] }],
    // Differential privacy of a segmentation task: only the keys that mean something there.
    ['privacy.clipNorm', { ...segDp, privacy: { ...segDp.privacy as object, clipNorm: 1 } }],
    ['privacy.minRows', { ...segDp, privacy: { ...segDp.privacy as object, minRows: 100 } }],
    ['privacy.releaseNoiseMultiplier', { ...segDp, privacy: { ...segDp.privacy as object, releaseNoiseMultiplier: 2 } }],
    ['privacy.adaptiveClipping', { ...segDp, privacy: { ...segDp.privacy as object, adaptiveClipping: { countNoiseMultiplier: 5 } } }],
    ['privacy.level', { ...segDp, privacy: { ...segDp.privacy as object, level: 'member' } }],
    ['privacy.clip', { ...segDp, privacy: { ...segDp.privacy as object, clip: 0 } }],
    ['privacy.statistics', { ...segDp, privacy: { epsilon: 4, noiseMultiplier: 2 } }],
    ['privacy.statistics.bounds', { ...segDp, privacy: { epsilon: 4, noiseMultiplier: 2, statistics: { noiseMultiplier: 2, bounds: { recency: [0, 400] } } } }],
    ['privacy.noiseMultiplier', { ...segDp, privacy: { ...segDp.privacy as object, noiseMultiplier: 0 } }],
    ['segmentation.profileLabels', { ...segDp, segmentation: { features: ['recency', 'frequency'], profileLabels: ['churned'] } }],
    // A segmentation audit's group × segment counts have no noisy release: not with privacy.
    ['audit', { ...segDp, protected: ['gender'], audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'] }] } } }],
  ];
  for (const [field, input] of refusals) {
    it(`refuses a bad ${field}, naming the field`, () => {
      const err = errorOf(input);
      expect(err.field).toBe(field);
      expect(err.message).toContain(`field "${field}"`);
    });
  }

  it('resolves a segmentation task\'s privacy: customer level, clip ±8σ by default', () => {
    const t = resolveTask(segDp);
    if (t.kind !== 'segmentation') throw new Error('kind');
    expect(t.privacy).toEqual({ level: 'customer', epsilon: 4, delta: 1e-5, noiseMultiplier: 2, clip: 8, statistics: { noiseMultiplier: 2, bounds: { recency: [0, 400], frequency: [0, 50] } } });
    expect(errorOf({ ...segDp, privacy: { ...segDp.privacy as object, clipNorm: 1 } }).message).toMatch(/privacy.clip/);
  });

  it('resolveTaskDefinition (model-only callers) refuses a segmentation task', () => {
    expect(() => resolveTaskDefinition(seg)).toThrow(/field "kind"/);
  });
});

describe('privacy settings in a task', () => {
  const base = { name: 'dp', label: 'churned', numeric: ['a'] };
  it('resolves privacy: and refuses member level without secure aggregation', () => {
    const t = resolveTaskDefinition({ ...base, privacy: { level: 'customer', epsilon: 4, noiseMultiplier: 1.1, clipNorm: 1 } });
    expect(t.privacy).toMatchObject({ level: 'customer', epsilon: 4, delta: 1e-5 });
    expect(resolveTaskDefinition(base).privacy).toBeUndefined();
    expect(() => resolveTaskDefinition({ ...base, aggregation: 'plain', privacy: { level: 'member', epsilon: 4, noiseMultiplier: 1, clipNorm: 1 } }))
      .toThrow(/privacy.level.*secure/);
    expect(() => resolveTaskDefinition({ ...base, privacy: { level: 'customer', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, clip: 2 } }))
      .toThrow(/"privacy.clip": bounds standardized values of a segmentation task/);
    expect(resolveTaskDefinition({ ...base, privacy: { level: 'member', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, adaptiveClipping: { countNoiseMultiplier: 10 } } }).privacy?.adaptiveClipping)
      .toEqual({ targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 10 });
    expect(() => resolveTaskDefinition({ ...base, privacy: { level: 'member', epsilon: 4, noiseMultiplier: 1, clipNorm: 1, adaptiveClipping: { countNoiseMultiplier: 0.8 } } }))
      .toThrow(/privacy.adaptiveClipping.countNoiseMultiplier.*must exceed/);
  });
});

describe('task audit (the policy pinned with the task)', () => {
  const audited = { name: 'churn', label: 'churned', numeric: ['spend'], protected: ['gender'] };
  const policy = { attributes: [{ name: 'gender', groups: ['F', 'M'] }] };
  const fieldOf = (input: unknown): unknown => {
    try {
      resolveTask(input);
    } catch (err) {
      return (err as { details?: { field?: unknown } }).details?.field;
    }
    return undefined;
  };

  it('resolves and hashes the policy when the task is resolved', () => {
    const t = resolveTask({ ...audited, audit: { policy, dataWindow: '2026 H1' } });
    expect(t.kind === 'model' && t.audit).toMatchObject({ policyHash: policyHash(parseAuditPolicy(policy)), dataWindow: '2026 H1', policy: { minCellCount: 10 } });
    expect(resolveTask(audited)).not.toHaveProperty('audit');
  });

  it('refuses a bad policy, a column not listed in protected, a bare policyFile, a regression task', () => {
    expect(fieldOf({ ...audited, audit: { policy: { attributes: [] } } })).toBe('audit.policy');
    expect(fieldOf({ ...audited, protected: [], audit: { policy } })).toBe('audit.policy');
    expect(fieldOf({ ...audited, audit: { policyFile: 'audit-policy.yaml' } })).toBe('audit.policyFile');
    expect(fieldOf({ ...audited, audit: {} })).toBe('audit.policy');
    expect(fieldOf({ ...audited, audit: { policy, intendedUse: '' } })).toBe('audit.intendedUse');
    expect(fieldOf({ ...audited, audit: { policy, polcy: 1 } })).toBe('audit.polcy');
    expect(fieldOf({ ...audited, model: { task: 'regression' }, audit: { policy } })).toBe('audit');
  });

  it('audits a segmentation task with a policy on its protected columns, refusing score-only settings', () => {
    const seg = { name: 's', kind: 'segmentation', protected: ['gender'], segmentation: { features: ['a'] } };
    const t = resolveTask({ ...seg, audit: { policy, intendedUse: 'targeted offers' } });
    expect(t.kind === 'segmentation' && t.audit).toMatchObject({ policyHash: policyHash(parseAuditPolicy(policy)), intendedUse: 'targeted offers' });
    expect(fieldOf({ ...seg, protected: [], audit: { policy } })).toBe('audit.policy');
    for (const key of ['thresholds', 'histogramBins', 'checks', 'calibrationBins', 'memberParity']) {
      expect(fieldOf({ ...seg, audit: { policy: { ...policy, [key]: key === 'checks' ? ['tpr'] : key === 'thresholds' ? [0.3] : key === 'memberParity' ? { bins: 10 } : 100 } } })).toBe('audit.policy');
    }
    // The band, minimums and confidence level do apply to segments.
    expect(resolveTask({ ...seg, audit: { policy: { ...policy, band: { lo: 0.7, hi: 1.4 }, minCellCount: 20 } } })).toHaveProperty('audit.policy.band', { lo: 0.7, hi: 1.4 });
  });
});

describe('task mitigation (reweighing, pinned with the task)', () => {
  const policy = { attributes: [{ name: 'gender', groups: ['F', 'M'] }, { name: 'senior', column: 'age', kind: 'banded', bands: [65] }] };
  const audited = { name: 'churn', label: 'churned', numeric: ['spend'], protected: ['gender', 'age'], audit: { policy } };
  const failure = (input: unknown): { field?: unknown; message: string } | undefined => {
    try {
      resolveTask(input);
    } catch (err) {
      return { field: (err as { details?: { field?: unknown } }).details?.field, message: (err as Error).message };
    }
    return undefined;
  };

  it('resolves the attributes named from the audit policy', () => {
    const t = resolveTask({ ...audited, mitigation: { reweighing: { attributes: ['gender', 'senior'] } } });
    expect(t.kind === 'model' && t.mitigation).toEqual({ reweighing: { attributes: ['gender', 'senior'] } });
    expect(resolveTask(audited)).not.toHaveProperty('mitigation');
  });

  it('refuses reweighing without an audit policy, an unknown or repeated attribute, an empty list, and with privacy', () => {
    const { audit: _audit, ...unaudited } = audited;
    expect(failure({ ...unaudited, mitigation: { reweighing: { attributes: ['gender'] } } })).toMatchObject({ field: 'mitigation.reweighing', message: expect.stringMatching(/needs the task's audit policy/) });
    expect(failure({ ...audited, mitigation: { reweighing: { attributes: ['age'] } } })).toMatchObject({ field: 'mitigation.reweighing.attributes', message: expect.stringMatching(/"age" is not an attribute of audit.policy \(gender, senior\)/) });
    expect(failure({ ...audited, mitigation: { reweighing: { attributes: ['gender', 'gender'] } } })?.field).toBe('mitigation.reweighing.attributes');
    expect(failure({ ...audited, mitigation: { reweighing: { attributes: [] } } })?.field).toBe('mitigation.reweighing.attributes');
    expect(failure({ ...audited, aggregation: 'plain', mitigation: { reweighing: { attributes: ['gender'] } } })?.message).toMatch(/needs aggregation "secure"/);
    expect(failure({ ...audited, mitigation: { reweighing: { atributes: ['gender'] } } })?.field).toBe('mitigation.reweighing.atributes');
    expect(failure({ ...audited, mitigation: { reweighing: { attributes: ['gender'] } }, privacy: { level: 'customer', epsilon: 3, noiseMultiplier: 1.1, clipNorm: 1 } }))
      .toMatchObject({ field: 'mitigation.reweighing', message: expect.stringMatching(/not available with privacy/) });
  });
});
