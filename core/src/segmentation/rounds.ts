// The segmentation round purposes and their vector layouts in one place, for the coordinator's round runner and the member agent.
import { ConsortError } from '../errors/consort-error.ts';
import { planLayout, type SegmentSpec, type VectorLayout } from '../secagg/quantize.ts';
import { DEFAULT_HISTOGRAM_BINS, histogramSegments } from './init.ts';
import { lloydCountSegments, lloydStepSegments, type KMeansBounds } from './kmeans-protocol.ts';
import { profileSegments } from './profiles.ts';

/**
 * Round purposes of federated segmentation, in protocol order: (the existing `statistics`
 * round fits means/stds) → `segmentation-histogram` → per candidate step and per Lloyd
 * iteration `segmentation-count-gate` (optional) + `segmentation-lloyd` → for the release
 * `segmentation-count-gate` + `segmentation-profile`.
 */
export type SegmentationRoundPurpose = 'segmentation-histogram' | 'segmentation-count-gate' | 'segmentation-lloyd' | 'segmentation-profile';

/** What sizes a segmentation round's vector; coordinator and members derive it from the task and round metadata. */
export interface SegmentationRoundShape extends KMeansBounds {
  purpose: SegmentationRoundPurpose;
  /** Standardized features (histogram, Lloyd, profile). */
  dim: number;
  /** Σ over runs of the clusters (count gate, Lloyd) or the number of segments (profile). */
  clusters?: number;
  /** Histogram bins per feature (default 32). */
  bins?: number;
  /** Label columns of the profile round. */
  labels?: number;
}

/** The segments of a segmentation round, in wire order (all compatible with packVector). */
export function segmentationRoundSegments(s: SegmentationRoundShape): SegmentSpec[] {
  const clusters = () => {
    if (!Number.isSafeInteger(s.clusters) || (s.clusters ?? 0) < 1) throw new ConsortError('INVALID_ARGUMENT', `a ${s.purpose} round needs the number of clusters (got ${s.clusters})`);
    return s.clusters as number;
  };
  switch (s.purpose) {
    case 'segmentation-histogram': return histogramSegments(s.dim, s.bins ?? DEFAULT_HISTOGRAM_BINS, s);
    case 'segmentation-count-gate': return lloydCountSegments(clusters(), s);
    case 'segmentation-lloyd': return lloydStepSegments(clusters(), s.dim, s);
    case 'segmentation-profile': return profileSegments(clusters(), s.dim, s.labels ?? 0, s.maxExamples);
    default: throw new ConsortError('INVALID_ARGUMENT', `unknown segmentation round purpose "${String((s as { purpose: unknown }).purpose)}"`);
  }
}

/** The layout (offsets and modulus) of a segmentation round for `members` invited members. */
export function segmentationRoundLayout(s: SegmentationRoundShape, members: number): VectorLayout {
  return planLayout(segmentationRoundSegments(s), { members });
}
