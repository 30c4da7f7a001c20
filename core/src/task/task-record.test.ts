// The stored/sent task document: canonical round trip, hash, version check and the upgrade of rows stored before versions.
import { describe, expect, it } from 'vitest';
import { resolveTask, type TaskDefinitionInput } from './task-definition.ts';
import { decodeTask, encodeTask, featureSchemaOf, modelSpecOf, statisticsLengthOf, taskInputOf, taskSha256 } from './task-record.ts';

const inputs: Record<string, TaskDefinitionInput> = {
  binary: { name: 'churn', label: 'churned', numeric: ['spend'], categorical: { plan: ['a', 'b'] }, protected: ['gender', 'age'], protectedInputs: ['age'] },
  regression: { name: 'spend', label: 'next_spend', numeric: ['spend'], model: { kind: 'mlp', task: 'regression', hidden: [8] }, earlyStopping: false, strategy: { name: 'fedadam' } },
  // A DP task's privacy section must survive the store (it was once dropped by taskInputOf).
  privacyCustomer: { name: 'churn-dp', label: 'churned', numeric: ['spend'], privacy: { level: 'customer', epsilon: 4, noiseMultiplier: 1.1, clipNorm: 1, minRows: 100, releaseNoiseMultiplier: 8, auditNoiseMultiplier: 6 } },
  privacyMemberAdaptive: {
    name: 'churn-dp', label: 'churned', numeric: ['spend'],
    privacy: { level: 'member', epsilon: 8, noiseMultiplier: 1, clipNorm: 2, adaptiveClipping: { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 5 } },
  },
  segmentation: { name: 'seg', kind: 'segmentation', segmentation: { features: ['r', 'f', 'm'], k: 4, profileLabels: ['churned', 'spend'] } },
  // Privacy and the pinned audit policy travel with the task (members apply DP from the task they receive).
  private: { name: 'dp', label: 'churned', numeric: ['spend'], privacy: { level: 'customer', epsilon: 3, noiseMultiplier: 1.1, clipNorm: 1 } },
  audited: {
    name: 'audited', label: 'churned', numeric: ['spend'], protected: ['gender', 'age'],
    audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'], reference: 'M' }, { name: 'age', kind: 'banded', bands: [30, 60] }], intersections: [['gender', 'age']] }, intendedUse: 'retention calls' },
  },
  segmentationPrivate: {
    name: 'seg-dp', kind: 'segmentation', segmentation: { features: ['r', 'f'], k: 3 },
    privacy: { epsilon: 6, noiseMultiplier: 3, clip: 4, statistics: { noiseMultiplier: 2, bounds: { r: [0, 1], f: [0, 9] } } },
  },
  segmentationAudited: {
    name: 'seg', kind: 'segmentation', protected: ['gender', 'age'], segmentation: { features: ['r', 'f'], k: 3 },
    audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'] }, { name: 'age', kind: 'banded', bands: [30, 65] }], intersections: [['gender', 'age']], band: { lo: 0.75, hi: 1.3 } }, dataWindow: '2026' },
  },
  // Reweighing is a pinned task term: members take part in its counting round only because the task asks.
  reweighed: {
    name: 'reweighed', label: 'churned', numeric: ['spend'], protected: ['gender', 'age'],
    audit: { policy: { attributes: [{ name: 'gender', groups: ['F', 'M'] }, { name: 'age', kind: 'banded', bands: [30, 60] }] } },
    mitigation: { reweighing: { attributes: ['gender', 'age'] } },
  },
  segmentationRange: { name: 'seg', kind: 'segmentation', segmentation: { features: ['r', 'f'], k: { min: 3, max: 5 } } },
};

describe('task record', () => {
  for (const [name, input] of Object.entries(inputs)) {
    it(`${name}: decode(encode(task)) is the task, and resolving its spelled-out input is idempotent`, () => {
      const task = resolveTask(input);
      expect(decodeTask(encodeTask(task))).toEqual(task);
      expect(resolveTask(taskInputOf(task))).toEqual(task);
      expect(decodeTask(new TextEncoder().encode(encodeTask(task)))).toEqual(task);
      if (input.privacy !== undefined) expect(decodeTask(encodeTask(task))).toHaveProperty('privacy.level', (input.privacy as { level?: string }).level ?? 'customer');
      // The audit's noise is part of what members pin: given or defaulted, it survives the store.
      if (input.privacy !== undefined && task.kind !== 'segmentation') {
        expect(decodeTask(encodeTask(task))).toHaveProperty('privacy.auditNoiseMultiplier', (input.privacy as { auditNoiseMultiplier?: number }).auditNoiseMultiplier ?? 4);
      }
    });
  }

  it('keeps the task\'s differential privacy through encode and decode (members pin it with the task)', () => {
    const task = resolveTask({ name: 'dp', label: 'y', numeric: ['a'], aggregation: 'secure', privacy: { level: 'member', epsilon: 3, delta: 1e-5, noiseMultiplier: 1, clipNorm: 0.5 } });
    expect(task.kind === 'model' && task.privacy).toBeTruthy();
    const back = decodeTask(encodeTask(task));
    expect(back).toEqual(task);
    expect(taskSha256(encodeTask(back))).not.toBe(taskSha256(encodeTask(resolveTask({ name: 'dp', label: 'y', numeric: ['a'], aggregation: 'secure' }))));
  });

  it('is canonical: key order does not change the text or the hash', () => {
    const a = resolveTask(inputs.binary);
    const b = resolveTask(Object.fromEntries(Object.entries(inputs.binary).reverse()));
    expect(encodeTask(a)).toBe(encodeTask(b));
    expect(taskSha256(encodeTask(a))).toMatch(/^[0-9a-f]{64}$/);
    expect(taskSha256(encodeTask(a))).not.toBe(taskSha256(encodeTask(resolveTask({ ...inputs.binary, protected: ['age'] }))));
  });

  it('refuses a newer schema version, a non-object and a task that fails the resolver', () => {
    expect(() => decodeTask('{"schemaVersion":2,"task":{}}')).toThrow(/schema version 2 is not known/);
    expect(() => decodeTask('[1]')).toThrow(/not a JSON object/);
    expect(() => decodeTask('nope')).toThrow(/not valid JSON/);
    expect(() => decodeTask('{"schemaVersion":1,"task":{"name":"x","label":"y","numeric":["a"],"minMembers":1}}')).toThrow(/field "minMembers"/);
  });

  it('upgrades a model task stored before schema versions (old resolved form, no early stopping recorded)', () => {
    const old = {
      name: 'churn', kind: 'model', label: 'churned', positiveLabel: ['1'], numeric: ['spend'], categorical: ['plan'], vocabularies: { plan: ['a', 'b'] },
      protected: [], model: { kind: 'logistic', task: 'binary', hidden: [], activation: 'relu', dropout: 0, l2: 0 },
      train: { localEpochs: 1, batchSize: 32, learningRate: 0.1, proximalMu: 0 }, minMembers: 3, stageTimeoutSeconds: 30, aggregation: 'secure',
      testFraction: 0.2, seed: 7, strategy: { name: 'fedavg' },
    };
    const task = decodeTask(JSON.stringify(old));
    expect(task).toMatchObject({ kind: 'model', label: 'churned', vocabularies: { plan: ['a', 'b'] }, seed: 7, maxRounds: 200, sampleFraction: 1, dropoutTolerance: 0.1 });
    expect(task.kind === 'model' && task.earlyStopping).toBeUndefined();
  });

  it('upgrades a segmentation task stored with the old placeholder label and logistic model', () => {
    const old = {
      name: 'seg', kind: 'segmentation', label: '', positiveLabel: [], numeric: ['r', 'f'], categorical: [], vocabularies: {}, protected: [],
      model: { kind: 'logistic', task: 'binary', hidden: [], activation: 'relu', dropout: 0, l2: 0 }, train: { localEpochs: 2, batchSize: 64, learningRate: 0.05, proximalMu: 0 },
      minMembers: 4, stageTimeoutSeconds: 15, dropoutTolerance: 0.1, aggregation: 'secure', testFraction: 0.2, seed: 3, strategy: { name: 'fedavg' },
      sampleFraction: 1, earlyStopping: { patience: 10, minDelta: 1e-4 }, maxRounds: 200,
      segmentation: { features: ['r', 'f'], ks: [4], fixedK: 4, restarts: 5, minClusterCount: 20, roles: {}, profileLabels: ['churned'], churnLabel: 'churned', maxIterations: 30 },
    };
    const task = decodeTask(JSON.stringify(old));
    expect(task).toEqual(resolveTask({ name: 'seg', kind: 'segmentation', minMembers: 4, stageTimeoutSeconds: 15, seed: 3, segmentation: { features: ['r', 'f'], k: 4, profileLabels: ['churned'] } }));
  });

  it('derives the statistics schema and the model spec from the task', () => {
    const seg = resolveTask(inputs.segmentation);
    expect(featureSchemaOf(seg)).toEqual({ numeric: ['r', 'f', 'm'], categorical: [], label: '', positiveLabel: [], protected: [] });
    expect(statisticsLengthOf(seg)).toBeGreaterThan(0);
    const bin = resolveTask(inputs.binary);
    if (bin.kind !== 'model') throw new Error('kind');
    expect(modelSpecOf(bin)).toMatchObject({ kind: 'logistic', task: 'binary', inputDim: 3 });
  });
});
