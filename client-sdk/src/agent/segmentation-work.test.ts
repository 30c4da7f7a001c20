// A member's segmentation rounds under differential privacy: no vector without a verified key set,
// its own clip bound whatever the round says, no profile sums, and noise actually added.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BoxMullerNormals, SeededRandom, encodeTask, resolveTask, segmentationRoundLayout, taskSha256, unpackVector,
  type FeaturePipeline, type SegmentationRoundShape, type SegmentationWorkOrder,
} from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';
import { CsvLocalWork } from './csv-local-work.ts';
import type { PrivacyMeans } from './local-work.ts';
import { segmentationVector, type SegmentationData } from './segmentation-work.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-seg-work-'));
const dataFile = join(dir, 'members.csv');
writeFileSync(dataFile, `id,a,b\n${Array.from({ length: 60 }, (_, i) => `${i},${i % 7},${(i * 3) % 11}`).join('\n')}\n`);
const privacy = { epsilon: 5, noiseMultiplier: 2, clip: 3, statistics: { noiseMultiplier: 2, bounds: { a: [0, 10], b: [0, 10] } } };
const task = resolveTask({ name: 's', kind: 'segmentation', minMembers: 3, segmentation: { features: ['a', 'b'], k: 2, restarts: 1 }, privacy });
const pipeline: FeaturePipeline = { numeric: [{ name: 'a', mean: 3, std: 2 }, { name: 'b', mean: 5, std: 3 }], categorical: [], label: '', task: 'binary' };
const shape: SegmentationRoundShape = { purpose: 'segmentation-histogram', dim: 2, bins: 8, zClip: 3 };
const order: SegmentationWorkOrder = { kind: 'segmentation', purpose: 'segmentation-histogram', features: ['a', 'b'], profileLabels: [], shape };

function open(invitedMembers = 4): RoundOpen__Output {
  const text = encodeTask(task);
  return {
    roundId: 'r1', purpose: 'segmentation-histogram', aggregation: 'secure', task: Buffer.from(text), taskSha256: taskSha256(text),
    secagg: { invitedMembers }, pipelineJson: JSON.stringify(pipeline),
  } as unknown as RoundOpen__Output;
}

const seeded = (seed: number) => { const r = new SeededRandom(seed); return new BoxMullerNormals(() => r.nextUint32()); };

class SeededWork extends CsvLocalWork {
  private draws = 0;
  protected override privacyMeans(): Omit<PrivacyMeans, 'invited'> {
    const r = new SeededRandom(++this.draws);
    return { normals: seeded(1000 + this.draws), uniform32: () => r.nextUint32() };
  }
}

describe('segmentation rounds under differential privacy (member side)', () => {
  it('sends no vector when the round\'s key set was never verified (its noise share cannot be sized)', async () => {
    const never = Promise.reject(new Error('the round\'s key set was never verified (round aborted): no noise share was sized'));
    never.catch(() => undefined);
    await expect(new SeededWork({ dataFile }).segmentationVector({ open: open(), segmentation: order, noiseSharers: never }, 4)).rejects.toThrow(/never verified/);
  });

  it('sizes its histogram noise for the verified key set, not the coordinator\'s inflated count (6 announced, 4 verified)', async () => {
    const work = new SeededWork({ dataFile });
    const layout = segmentationRoundLayout(shape, 6);
    const data: SegmentationData = { file: dataFile, records: [], raw: Array.from({ length: 60 }, (_, i) => [i % 7, (i * 3) % 11]), labels: [] };
    const exact = unpackVector(layout, segmentationVector(order, pipeline, data, 6)).histograms;
    const deviations: number[] = [];
    for (let t = 0; t < 200; t++) {
      const noisy = unpackVector(layout, await work.segmentationVector({ open: open(6), segmentation: order, noiseSharers: Promise.resolve(4) }, 6)).histograms;
      noisy.forEach((v, i) => { expect(Number.isInteger(v)).toBe(true); deviations.push(v - exact[i]); });
    }
    const sd = Math.sqrt(deviations.reduce((a, x) => a + x * x, 0) / deviations.length);
    // σ√dim/√4 = 1.414 (sized for 6 it would be 1.155); rounding adds variance 1/12. 3,200 draws: ±5 %.
    const want = Math.sqrt((2 * Math.SQRT2 / 2) ** 2 + 1 / 12);
    expect(sd / want).toBeGreaterThan(0.95);
    expect(sd / want).toBeLessThan(1.05);
  });

  it('refuses a round that clips at another bound than the task\'s privacy.clip, and the profile round', () => {
    const data: SegmentationData = { file: dataFile, records: [], raw: [[1, 2]], labels: [[]] };
    const dp = { privacy: task.kind === 'segmentation' ? task.privacy! : undefined!, invited: 4, normals: seeded(1) };
    expect(() => segmentationVector({ ...order, shape: { ...shape, zClip: 50 } }, pipeline, data, 4, dp)).toThrow(/clips standardized values at ±50, the task's privacy.clip is 3/);
    const profile: SegmentationWorkOrder = { ...order, purpose: 'segmentation-profile', shape: { purpose: 'segmentation-profile', dim: 2, clusters: 1, zClip: 3 }, runs: [[[0, 0]]] };
    expect(() => segmentationVector(profile, pipeline, data, 4, dp)).toThrow(/not released under differential privacy/);
  });
});
