// Running example-weighted sum of member updates: O(d) memory whatever the number of members.
import { ConsortError } from '../errors/consort-error.ts';

/** Rejects an update of the wrong length or with NaN/Infinity, naming the member and index. */
export function validateUpdate(values: Float32Array | Float64Array, expectedLength: number, memberId: string): void {
  if (values.length !== expectedLength) {
    throw new ConsortError('UPDATE_SHAPE_MISMATCH',
      `update of member ${memberId} has ${values.length} values but the model has ${expectedLength}; the member must train the model it downloaded for this round`,
      { memberId, got: values.length, expected: expectedLength });
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ConsortError('UPDATE_NOT_FINITE',
        `update of member ${memberId} has ${values[i]} at index ${i}; local training diverged (lower the learning rate or check the member's data)`,
        { memberId, index: i });
    }
  }
}

/** Accumulates Σ weight·vector in float64 and Σ weight; never keeps a member's vector. */
export class WeightedSum {
  readonly sum: Float64Array;
  totalWeight = 0;
  contributions = 0;

  constructor(readonly length: number) {
    this.sum = new Float64Array(length);
  }

  add(values: Float32Array | Float64Array, weight: number): void {
    if (values.length !== this.length) {
      throw new ConsortError('UPDATE_SHAPE_MISMATCH', `vector of length ${values.length} added to a sum of length ${this.length}`);
    }
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new ConsortError('INVALID_ARGUMENT', `contribution weight must be a positive number, got ${weight}`);
    }
    const s = this.sum;
    for (let i = 0; i < values.length; i++) s[i] += weight * values[i];
    this.totalWeight += weight;
    this.contributions++;
  }

  /** Σ weight·vector / Σ weight, as float32 model weights. */
  mean(): Float32Array {
    if (this.totalWeight <= 0) throw new ConsortError('INVALID_ARGUMENT', 'mean of an empty weighted sum');
    const out = new Float32Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.sum[i] / this.totalWeight;
    return out;
  }
}
