// Standardization of behavioural features for segmentation: z = clip((x − mean) / std), fitted from secure sums.
import { ConsortError } from '../errors/consort-error.ts';

/** Default clip of standardized values, in standard deviations. */
export const DEFAULT_Z_CLIP = 8;

/**
 * The transform every member applies before k-means, and that the ONNX export folds in. Means and
 * stds come from the existing statistics round (pipelineFromStats), so no new disclosure.
 */
export interface SegmentationFeatures {
  names: string[];
  mean: number[];
  std: number[];
  /**
   * Standardized values are clipped to ±zClip. Why: it bounds every entry a member puts in the
   * secure sum (so the fixed-point layout has headroom), and keeps one extreme spender from
   * pulling a centroid alone. The centralized reference uses the same clipped data.
   */
  zClip: number;
}

/** Builds the transform from a fitted pipeline's numeric columns (std > 0 guaranteed there). */
export function segmentationFeatures(numeric: ReadonlyArray<{ name: string; mean: number; std: number }>, zClip = DEFAULT_Z_CLIP): SegmentationFeatures {
  if (numeric.length === 0) {
    throw new ConsortError('INVALID_ARGUMENT', 'segmentation needs at least one numeric feature; list behavioural columns (recency, frequency, monetary...) in the task');
  }
  if (!(zClip > 0) || !Number.isFinite(zClip)) {
    throw new ConsortError('INVALID_ARGUMENT', `zClip must be a positive number of standard deviations, got ${zClip}`);
  }
  for (const n of numeric) {
    if (!Number.isFinite(n.mean) || !(n.std > 0) || !Number.isFinite(n.std)) {
      throw new ConsortError('INVALID_ARGUMENT', `feature "${n.name}" has mean ${n.mean} and std ${n.std}; refit the statistics (std must be > 0)`, { column: n.name });
    }
  }
  return { names: numeric.map((n) => n.name), mean: numeric.map((n) => n.mean), std: numeric.map((n) => n.std), zClip };
}

/** Standardizes one raw row (NaN = missing → the mean, i.e. 0), clipping to ±zClip. */
export function standardizePoint(raw: ArrayLike<number>, f: SegmentationFeatures): Float64Array {
  const d = f.names.length;
  if (raw.length !== d) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH', `a row has ${raw.length} values but segmentation uses ${d} features (${f.names.join(', ')})`);
  }
  const z = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const x = raw[j];
    if (Number.isNaN(x)) continue;
    const v = (x - f.mean[j]) / f.std[j];
    z[j] = v > f.zClip ? f.zClip : v < -f.zClip ? -f.zClip : v;
  }
  return z;
}

/** Standardizes many rows. */
export function standardizeRows(rows: ReadonlyArray<ArrayLike<number>>, f: SegmentationFeatures): Float64Array[] {
  return rows.map((r) => standardizePoint(r, f));
}
