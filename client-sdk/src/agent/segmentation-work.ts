// A member's part in a segmentation round: core's local k-means functions on its standardized rows, packed as the round's ModVector.
import {
  ConsortError, DEFAULT_MAX_EXAMPLES, lloydCostCap, privatizeClusterCounts, privatizeHistograms, privatizeLloydStep, type NormalSource, type SegmentationPrivacy, localClusterCounts, localHistograms, localLloydStepRuns, localProfileStats, nearestCentroid, packClusterCounts, packHistograms,
  packLloydStep, packProfileStats, segmentationFeatures, segmentationRoundLayout, standardizeRows,
  type FeaturePipeline, type ModVector, type SegmentationWorkOrder, type VectorLayout,
} from '@consort/core';
import { readMemberCsv } from '../data/csv-table.ts';

/** A member's rows for segmentation: raw feature values (NaN = missing) and profile labels. */
export interface SegmentationData {
  file: string;
  /** All rows (segmentation has no held-out split), as the records the statistics round reads. */
  records: Record<string, string>[];
  raw: number[][];
  labels: number[][];
}

function num(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return NaN;
  const x = Number(v);
  return Number.isFinite(x) ? x : NaN;
}

/** Reads only the segmentation features and profile labels of the member's export. */
export async function readSegmentationData(file: string, order: SegmentationWorkOrder): Promise<SegmentationData> {
  const table = await readMemberCsv(file, { numeric: order.features, categorical: [], label: order.features[0] }, { keep: order.profileLabels });
  const raw = table.records.map((r) => order.features.map((f) => num(r[f])));
  const labels = table.records.map((r) => order.profileLabels.map((l) => num(r[l])));
  return { file, records: table.records, raw, labels };
}

/** The layout a member derives from the work order and the invited member count (checked against RoundOpen.secagg). */
export function segmentationLayoutOf(order: SegmentationWorkOrder, members: number): VectorLayout {
  if (!order.shape) throw new ConsortError('INVALID_ARGUMENT', `segmentation round "${order.purpose}" has no vector shape in its work order; coordinator and agent versions differ?`);
  return segmentationRoundLayout(order.shape, members);
}

/** A member's means of adding its DP noise share to a segmentation round (the task's privacy, the verified count). */
export interface SegmentationDp {
  privacy: SegmentationPrivacy;
  /** Members the noise share is sized for (agent/noise-sharers.ts). */
  invited: number;
  normals: NormalSource;
}

/**
 * The packed vector of one segmentation round. Rows are standardized with the task's fitted
 * pipeline (means and stds of the statistics round), so every member uses the same space.
 * Under differential privacy (`dp`, core/src/privacy/segmentation-release.ts) the member adds its
 * noise share to the sums before they are packed (and masked); the profile round is refused.
 */
export function segmentationVector(order: SegmentationWorkOrder, pipeline: FeaturePipeline, data: SegmentationData, members: number, dp?: SegmentationDp): ModVector {
  const shape = order.shape;
  if (!shape) throw new ConsortError('INVALID_ARGUMENT', `segmentation round "${order.purpose}" has no vector shape in its work order`);
  const byName = new Map(pipeline.numeric.map((n) => [n.name, n]));
  const features = segmentationFeatures(order.features.map((f) => {
    const n = byName.get(f);
    if (!n) throw new ConsortError('INVALID_ARGUMENT', `the task's fitted pipeline has no column "${f}"; refit the statistics of the segmentation task`);
    return n;
  }), shape.zClip);
  const dim = features.names.length;
  if (dim !== shape.dim) throw new ConsortError('UPDATE_SHAPE_MISMATCH', `the work order has ${shape.dim} dimensions, the member's features ${dim}`);
  const bounds = { maxExamples: shape.maxExamples, zClip: features.zClip };
  if (data.raw.length > (shape.maxExamples ?? Infinity)) {
    throw new ConsortError('INVALID_ARGUMENT', `${data.file} has ${data.raw.length} rows, more than the ${shape.maxExamples} one member may contribute`);
  }
  // Under DP the member clips to its pinned task's bound, whatever the round says: the noise is calibrated on it.
  if (dp && features.zClip !== dp.privacy.clip) {
    throw new ConsortError('INVALID_ARGUMENT', `the ${shape.purpose} round clips standardized values at ±${features.zClip}, the task's privacy.clip is ${dp.privacy.clip}; coordinator and task disagree, round refused`);
  }
  const points = standardizeRows(data.raw, features);
  const runs = (order.runs ?? []).map((run) => run.map((c) => Float64Array.from(c)));
  const noise = dp && { noiseMultiplier: dp.privacy.noiseMultiplier, invited: dp.invited, normals: dp.normals, maxAbs: shape.maxExamples ?? DEFAULT_MAX_EXAMPLES };
  switch (shape.purpose) {
    case 'segmentation-histogram': {
      const hist = localHistograms(points, dim, shape.bins, features.zClip);
      return packHistograms(noise ? privatizeHistograms(hist, dim, noise) : hist, dim, members, shape.bins, bounds);
    }
    case 'segmentation-count-gate': {
      const counts = localClusterCounts(points, runs, dim);
      return packClusterCounts(noise ? privatizeClusterCounts(counts, runs.length, noise) : counts, members, bounds);
    }
    case 'segmentation-lloyd': {
      const step = localLloydStepRuns(points, runs, dim, { include: order.include, ...(noise ? { costCap: lloydCostCap(features.zClip, dim) } : {}) });
      return packLloydStep(noise ? privatizeLloydStep(step, runs.length, dim, features.zClip, noise) : step, dim, members, bounds);
    }
    case 'segmentation-profile': {
      if (dp) throw new ConsortError('INVALID_ARGUMENT', 'a segmentation-profile round is not released under differential privacy (profiles come from the noisy Lloyd sums); coordinator and agent versions differ?');
      const centroids = runs[0];
      if (!centroids) throw new ConsortError('INVALID_ARGUMENT', 'the profile round carries no centroids; coordinator and agent versions differ?');
      const segments = points.map((p) => nearestCentroid(p, centroids).index);
      const stats = localProfileStats(data.raw, segments, order.profileLabels.length > 0 ? data.labels : [], centroids.length, features, order.include);
      return packProfileStats(stats, centroids.length, dim, shape.labels ?? 0, members, shape.maxExamples);
    }
    default:
      throw new ConsortError('INVALID_ARGUMENT', `unknown segmentation round purpose "${String(shape.purpose)}"; update the agent`);
  }
}
