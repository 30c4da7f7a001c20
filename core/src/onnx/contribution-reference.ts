// The federation's reference customer that reason codes are measured against, in the encoded (standardized, one-hot) space.
import { pipelineInputDim, type FeaturePipeline } from '../features/pipeline.ts';

/** What a column's contribution is measured against. */
export type ReferenceKind =
  /** numeric: the federation mean (z = 0; a blank cell is imputed to it, so it contributes 0). */
  | 'federation-mean'
  /** categorical: the federation's mix of values (pooled shares from the statistics round). */
  | 'pooled-shares'
  /** categorical fitted before pooled shares were kept: "no category" (all-zero one-hot). */
  | 'no-category';

/**
 * One substitution of the occlusion pass: column `column` replaced by a value of its reference
 * (entries `from..to` of the encoded vector set to `values`), counted with `weight` (the value's
 * pooled share; 1 for a numeric column's mean). The weights of one column sum to 1.
 */
export interface ReferenceSubstitution {
  column: number;
  weight: number;
  from: number;
  values: number[];
}

/** The reference of a pipeline, in the order of onnxFeatureColumns. */
export interface ContributionReference {
  /** Encoded reference point [D]: 0 for numeric entries, pooled shares for one-hot groups. */
  point: Float64Array;
  /** Original column (onnxFeatureColumns index) of each encoded entry. */
  groupOf: number[];
  kinds: ReferenceKind[];
  /** Substitutions an MLP's occlusion pass averages over (see exportOnnx). */
  substitutions: ReferenceSubstitution[];
}

/** Pooled shares of a categorical column when present and usable, normalized to sum to 1. */
function sharesOf(c: FeaturePipeline['categorical'][number]): number[] | null {
  const s = c.shares;
  if (!Array.isArray(s) || s.length !== c.vocabulary.length || !s.every((v) => Number.isFinite(v) && v >= 0)) return null;
  const total = s.reduce((a, b) => a + b, 0);
  return total > 0 ? s.map((v) => v / total) : null;
}

/**
 * The reference customer: every numeric column at the federation mean, every categorical
 * column at the federation's mix of values (its pooled shares, i.e. the mean of the one-hot
 * encoding). Why the mix rather than the most frequent value: measured against the mode, the
 * mode itself never explains anything, even when it is the riskiest value (telco's
 * month-to-month contract is both); against the mix, each value is credited with how much it
 * moves the score away from the federation's average, numeric and categorical columns alike,
 * and for a linear model the contributions add up to score − score(reference).
 */
export function contributionReference(pipeline: Pick<FeaturePipeline, 'numeric' | 'categorical'>): ContributionReference {
  const D = pipelineInputDim(pipeline);
  const point = new Float64Array(D);
  const groupOf: number[] = [];
  const kinds: ReferenceKind[] = [];
  const substitutions: ReferenceSubstitution[] = [];
  pipeline.numeric.forEach((_, j) => {
    groupOf.push(j);
    kinds.push('federation-mean');
    substitutions.push({ column: j, weight: 1, from: j, values: [0] });
  });
  let k = pipeline.numeric.length;
  pipeline.categorical.forEach((c, ci) => {
    const column = pipeline.numeric.length + ci;
    const V = c.vocabulary.length;
    for (let v = 0; v < V; v++) groupOf.push(column);
    const shares = sharesOf(c);
    if (shares) {
      kinds.push('pooled-shares');
      point.set(shares, k);
      // A value nobody in the federation has carries no weight: skip its forward pass.
      shares.forEach((w, v) => {
        if (w > 0) substitutions.push({ column, weight: w, from: k, values: Array.from({ length: V }, (_, u) => (u === v ? 1 : 0)) });
      });
    } else {
      kinds.push('no-category');
      substitutions.push({ column, weight: 1, from: k, values: new Array<number>(V).fill(0) });
    }
    k += V;
  });
  return { point, groupOf, kinds, substitutions };
}
