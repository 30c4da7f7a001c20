// Member-level DP-FedAvg on the member (McMahan, Ramage, Talwar & Zhang, ICLR 2018): the update
// w_local − w_global is clipped to L2 bound S and carries this member's share N(0, (σS)²/n) of the
// noise BEFORE masking, so the masked sum of n members carries N(0, (σS)²) and no single party
// (coordinator included) adds, or can remove, all of it.
import { addGaussianNoise, clipToNorm, memberNoiseStd, type NormalSource } from '@consort/core';

/** A member's update made private for a member-level DP round. */
export interface PrivateUpdate {
  /** w_global + clipped update + noise share: what the member sends, with weight 1. */
  weights: Float32Array;
  /** L2 norm of the raw update (w_local − w_global) before clipping. */
  updateNorm: number;
  /** True when the update was longer than S and was scaled down. */
  clipped: boolean;
}

export interface PrivatizeOptions {
  global: Float32Array;
  local: Float32Array;
  clipNorm: number;
  noiseMultiplier: number;
  /** Members invited to the round: each adds 1/invited of the noise variance. */
  invited: number;
  normals: NormalSource;
}

/** Clips the member's update and adds its share of the round's Gaussian noise. */
export function privatizeUpdate(o: PrivatizeOptions): PrivateUpdate {
  if (o.global.length !== o.local.length) throw new RangeError(`global has ${o.global.length} weights, local ${o.local.length}`);
  const delta = new Float64Array(o.local.length);
  for (let i = 0; i < delta.length; i++) delta[i] = o.local[i] - o.global[i];
  const c = clipToNorm(delta, o.clipNorm);
  addGaussianNoise(c.vector, memberNoiseStd(o.noiseMultiplier, o.clipNorm, o.invited), o.normals);
  const weights = new Float32Array(delta.length);
  for (let i = 0; i < weights.length; i++) weights[i] = o.global[i] + c.vector[i];
  return { weights, updateNorm: c.norm, clipped: c.factor < 1 };
}
