// The audit vector under differential privacy: one customer's L2 sensitivity, each member's share of
// Gaussian noise on the cell counts (added before masking, like the evaluation release), the
// coordinator's reading of the noisy sum (counts read as at least 0) and the audit round's charge.
//
// What is noised: per cell, the confusion counts at every threshold and the score histograms by
// label (merged into a few groups first, as the evaluation release does; segment counts for a
// segmentation layout). What is not: the contributing-member indicators (v[0] and each cell's
// members count) are member-level facts the coordinator needs for its minMembers rule; they say how
// many members have at least one held-out row in a cell, and a customer moves one only when it is
// its member's only row in that cell. The ε of the audit does not cover them (docs/audits.md).
// The member-parity distribution is dropped: with a handful of members, noise large enough to hide
// one customer's effect on a member's AUC bin would drown the distribution, so each member reports
// its parity as "undefined" (a constant) and the released parity is withheld.
import { ConsortError } from '../errors/consort-error.ts';
import { coarsenHistogram, DP_SCORE_BINS } from '../privacy/evaluation-release.ts';
import { effectiveNoiseMultiplier, memberNoiseStd } from '../privacy/distributed-noise.ts';
import type { NormalSource } from '../privacy/gaussian-noise.ts';
import type { PrivacyCharge } from '../privacy/privacy-ledger.ts';
import { buildAuditLayout, decodeAuditAggregates, memberAuditVector } from './layout.ts';
import type { AuditAggregates, AuditLayout, AuditPolicy, AuditRow } from './types.ts';

/** The noise of a DP audit round, fixed in its work order (and checked by each member against its pinned task). */
export interface AuditNoise {
  /** σ_a (task key privacy.auditNoiseMultiplier): the summed noise std on each count is σ_a·Δ. */
  noiseMultiplier: number;
  /** Δ: L2 sensitivity of one customer's row in the noised counts (auditSensitivity). */
  sensitivity: number;
  /** Score-histogram groups per label: the policy's bins are merged into this many before noise. */
  histogramGroups: number;
  /** Largest |noise share| one member adds to an entry (10·σ_a·Δ): the packed vector's headroom. */
  headroom: number;
}

/**
 * L2 sensitivity of one customer's row in the noised part of the audit vector. A row lands in at
 * most one cell per grouping; there it adds 1 to one of TP/FP/TN/FN per threshold and 1 to one
 * (merged) histogram bin — or, for a segmentation layout, 1 to one segment count. So with G
 * groupings and T thresholds the vector moves by at most √(G·(T + 1)) (√G for segments).
 */
export function auditSensitivity(layout: AuditLayout): number {
  const perGrouping = layout.model.kind === 'binary' ? layout.thresholds.length + 1 : 1;
  return Math.sqrt(layout.groupings.length * perGrouping);
}

/** Histogram groups per label under DP: the largest divisor of the policy's bins not above DP_SCORE_BINS. */
export function dpHistogramGroups(bins: number): number {
  for (let g = Math.min(DP_SCORE_BINS, bins); g > 1; g--) if (bins % g === 0) return g;
  return 1;
}

/** The audit noise of a policy under a task's audit noise multiplier. */
export function auditNoiseFor(policy: AuditPolicy, noiseMultiplier: number): AuditNoise {
  if (!(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier))) {
    throw new ConsortError('INVALID_ARGUMENT', `the audit noise multiplier must be a number > 0 (got ${noiseMultiplier}); set privacy.auditNoiseMultiplier in the task`, { field: 'privacy.auditNoiseMultiplier' });
  }
  const sensitivity = auditSensitivity(buildAuditLayout(policy));
  return { noiseMultiplier, sensitivity, histogramGroups: dpHistogramGroups(policy.histogramBins), headroom: Math.ceil(10 * noiseMultiplier * sensitivity) };
}

/** Where a merged histogram group's count sits: its middle fine bin (coarsenHistogram). */
function isReleasedBin(bin: number, bins: number, groups: number): boolean {
  const width = bins / groups;
  return bin % width === Math.floor(width / 2);
}

/** The indices of the vector that carry noise (every other entry is a member indicator, or structurally 0 under DP). */
export function noisedAuditIndices(layout: AuditLayout, histogramGroups: number): number[] {
  const out: number[] = [];
  const B = layout.histogramBins;
  for (const cells of layout.slots) {
    for (const s of cells) {
      if (layout.model.kind === 'segmentation') {
        for (let k = 0; k < layout.model.segments; k++) out.push(s.segments + k);
        continue;
      }
      for (let i = 0; i < 4 * layout.thresholds.length; i++) out.push(s.confusion + i);
      for (let b = 0; b < 2 * B; b++) if (isReleasedBin(b % B, B, histogramGroups)) out.push(s.histogram + b);
    }
  }
  return out;
}

/**
 * A member's audit vector before noise, in the DP form: each cell's histograms merged into
 * `histogramGroups` groups per label (the total at each group's middle bin), and the member's
 * parity reported as undefined (the parity distribution is not released under DP).
 */
export function dpMemberAuditVector(rows: AuditRow[], layout: AuditLayout, histogramGroups: number): number[] {
  const v = memberAuditVector(rows, layout);
  const B = layout.histogramBins;
  if (layout.model.kind === 'binary') {
    for (const cells of layout.slots) {
      for (const s of cells) {
        for (const start of [s.histogram, s.histogram + B]) {
          const merged = coarsenHistogram(v.slice(start, start + B), histogramGroups);
          for (let b = 0; b < B; b++) v[start + b] = merged[b];
        }
      }
    }
  }
  for (let b = 0; b <= layout.parity.bins; b++) v[layout.parity.offset + b] = 0;
  v[layout.parity.offset + layout.parity.bins] = 1;
  return v;
}

/** How a member sizes and draws its noise share. */
export interface AuditNoiseShare {
  /** Members the noise is split across: the count this member verified (client-sdk noise-sharers). */
  invited: number;
  normals: NormalSource;
}

/**
 * Adds this member's share N(0, (σ_aΔ)²/n) to every noised entry, rounded (counts stay integers;
 * the rounding of an integer plus noise does not depend on the integer) and kept within
 * ±headroom (10 times the full std: a draw beyond it has probability below 1e-22). Returns a copy.
 */
export function privatizeAuditVector(vector: readonly number[], layout: AuditLayout, noise: AuditNoise, share: AuditNoiseShare): number[] {
  const std = memberNoiseStd(noise.noiseMultiplier, noise.sensitivity, share.invited);
  const out = vector.slice();
  for (const i of noisedAuditIndices(layout, noise.histogramGroups)) {
    const draw = Math.round(std * share.normals.standardNormal());
    out[i] += Math.max(-noise.headroom, Math.min(noise.headroom, draw));
  }
  return out;
}

/**
 * The coordinator's reading of a noisy audit sum (post-processing, free of privacy cost): every
 * noised count read as at least 0, the bins that carry no noise read as 0, a cell's n the total of
 * its histograms, and the parity withheld. Confusion counts no longer add up exactly to the
 * histograms (independent noise), so that check is left out; the member indicators are still
 * checked exactly.
 */
export function decodeNoisyAuditAggregates(sum: ArrayLike<number>, layout: AuditLayout, noise: AuditNoise): AuditAggregates {
  if (sum.length !== layout.length) {
    throw new ConsortError('AGGREGATE_REJECTED', `audit aggregate: length ${sum.length}, the layout has ${layout.length}`, { length: sum.length });
  }
  const clean = Array.from(sum);
  const noised = new Set(noisedAuditIndices(layout, noise.histogramGroups));
  if (layout.model.kind === 'binary') {
    // Structurally-zero bins: whatever a member put there is not part of the release.
    for (const cells of layout.slots) for (const s of cells) for (let b = 0; b < 2 * layout.histogramBins; b++) clean[s.histogram + b] = 0;
  }
  for (const i of noised) clean[i] = Math.max(0, sum[i]);
  const members = clean[0];
  for (let b = 0; b <= layout.parity.bins; b++) clean[layout.parity.offset + b] = 0;
  if (Number.isSafeInteger(members) && members >= 0) clean[layout.parity.offset + layout.parity.bins] = members;
  const decoded = decodeAuditAggregates(clean, layout, { exactConfusion: false });
  return { ...decoded, parity: { ...decoded.parity, withheld: true } };
}

/**
 * The audit round's charge: one Gaussian release of the noised counts (sensitivity Δ, noise σ_aΔ)
 * over every customer's held-out row (rate 1), with σ_a·√(survivors/invited) when members dropped.
 */
export function auditCharge(noiseMultiplier: number, round: number, survivors: number, invited: number, modelVersion?: number): PrivacyCharge[] {
  return [{
    round, ...(modelVersion !== undefined ? { modelVersion } : {}), kind: 'audit', unit: 'customer', samplingRate: 1,
    noiseMultiplier: effectiveNoiseMultiplier(noiseMultiplier, survivors, invited), steps: 1,
  }];
}
