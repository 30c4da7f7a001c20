// L2 clipping of a vector (an example's gradient, a member's model update) to a bound.

/** Euclidean norm, accumulated in float64. */
export function l2Norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** A clipped vector and what clipping did to it. */
export interface Clipped {
  vector: Float64Array;
  /** Norm before clipping. */
  norm: number;
  /** The factor applied, min(1, bound / norm). */
  factor: number;
}

/** Scales `v` down to L2 norm `bound` when it is longer; shorter vectors are kept as they are. */
export function clipToNorm(v: ArrayLike<number>, bound: number): Clipped {
  if (!(bound > 0)) throw new RangeError(`clip bound must be > 0 (got ${bound})`);
  const norm = l2Norm(v);
  const factor = norm > bound ? bound / norm : 1;
  const vector = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) vector[i] = v[i] * factor;
  return { vector, norm, factor };
}
