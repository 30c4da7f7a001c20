// A round's named warnings from what it measured, the task's earlier rounds and the clip counts (pure).
import type { RoundWarning } from './warnings.ts';

/** Binary log-loss per row is clipped at this value before it is summed (round-vector.ts). */
export const MAX_BINARY_ROW_LOSS = 100;
/** A training loss more than this many times the first round's has diverged. */
export const LOSS_EXPLOSION_FACTOR = 10;
/** Held-out AUC this far below the best earlier round is a sharp drop. */
export const AUC_DROP = 0.05;

/** What one finished round measured (aggregates only: nothing here belongs to one member). */
export interface RoundObservation {
  /** 'train', 'statistics', 'evaluate' or a segmentation purpose. */
  purpose: string;
  task: 'binary' | 'regression';
  /** Mean training loss; null when the round did not train. */
  trainLoss: number | null;
  /** Held-out AUC of the model the round evaluated; null when not measured. */
  evalAuc: number | null;
  evalExamples: number;
  /** Summed held-out score histograms (binary). */
  histPos?: ArrayLike<number>;
  histNeg?: ArrayLike<number>;
  /** Values clipped before quantization, over all members. */
  clipped: number;
  /** How many values could have been clipped (vector length × members), for the share. */
  clippable: number;
  /** Weights are clipped to ±weightClip (train rounds). */
  weightClip?: number;
  /** Secure rounds: NaN/Infinity values members found in their inputs (those inputs were left out). */
  nonFiniteValues?: number;
  /** Plain rounds: members dropped because their input held NaN/Infinity. */
  nonFiniteMembers?: string[];
}

/** What an earlier round of the same task measured (oldest first). */
export interface EarlierRound {
  number: number;
  purpose: string;
  trainLoss: number | null;
  evalAuc: number | null;
}

function share(part: number, whole: number): string {
  if (!(whole > 0)) return '';
  const pct = (100 * part) / whole;
  return ` (${pct < 0.1 ? pct.toPrecision(1) : pct.toFixed(1)}%)`;
}

/** Every warning this round raises, in a fixed order (clips, non-finite, loss, scores, AUC). */
export function roundWarnings(now: RoundObservation, earlier: EarlierRound[]): RoundWarning[] {
  const out: RoundWarning[] = [];
  if (now.clipped > 0) {
    if (now.purpose === 'train') {
      out.push({
        code: 'WEIGHTS_CLIPPED',
        message: `${now.clipped} of ${now.clippable} model weights${share(now.clipped, now.clippable)} were clipped to ±${now.weightClip ?? '?'} before aggregation: `
          + 'the averaged model is not what members trained. Standardize large-valued columns or targets, or lower train.learningRate.',
      });
    } else {
      out.push({
        code: 'STATISTICS_CLIPPED',
        message: `${now.clipped} of ${now.clippable} feature sums${share(now.clipped, now.clippable)} were out of range for secure summation and were clipped: `
          + 'the means and standard deviations of large-valued columns are wrong. Rescale money-sized columns (e.g. thousands instead of units) in the mapping.',
      });
    }
  }
  if ((now.nonFiniteValues ?? 0) > 0) {
    out.push({
      code: 'NON_FINITE_VALUES',
      message: `${now.nonFiniteValues} NaN or infinite values were found in members' inputs; those inputs were left out of this round's sum. `
        + 'Local training diverged or a column holds invalid numbers: lower train.learningRate or check the members\' data.',
    });
  }
  if ((now.nonFiniteMembers ?? []).length > 0) {
    out.push({
      code: 'NON_FINITE_VALUES',
      message: `member(s) ${now.nonFiniteMembers!.join(', ')} sent NaN or infinite values and were left out of this round. `
        + 'Local training diverged or a column holds invalid numbers: lower train.learningRate or check the members\' data.',
    });
  }
  const diverged = lossDiverged(now, earlier);
  if (diverged) out.push({ code: 'LOSS_DIVERGED', message: diverged });
  if (now.task === 'binary' && now.evalExamples > 0 && now.histPos && now.histNeg) {
    const bins = now.histPos.length;
    let total = 0;
    let top = 0;
    for (let i = 0; i < bins; i++) {
      const c = now.histPos[i] + (now.histNeg[i] ?? 0);
      total += c;
      top = Math.max(top, c);
    }
    if (total > 1 && top === total) {
      out.push({
        code: 'CONSTANT_SCORES',
        message: `all ${total} held-out rows got the same score: the model separates no one (AUC 0.5). `
          + 'Check for clipped or non-finite warnings in earlier rounds, unscaled columns, or a learning rate too high or too low.',
      });
    }
  }
  if (now.evalAuc !== null && Number.isFinite(now.evalAuc)) {
    const best = earlier.filter((r) => r.evalAuc !== null && Number.isFinite(r.evalAuc))
      .reduce<EarlierRound | undefined>((b, r) => (!b || r.evalAuc! > b.evalAuc! ? r : b), undefined);
    // A tolerance of 1e-9 so 0.82 − 0.77 counts as the 0.05 it is.
    if (best && best.evalAuc! - now.evalAuc >= AUC_DROP - 1e-9) {
      out.push({
        code: 'AUC_DROPPED',
        message: `held-out AUC ${now.evalAuc.toFixed(4)} is ${(best.evalAuc! - now.evalAuc).toFixed(4)} below the best so far (${best.evalAuc!.toFixed(4)}, round ${best.number}): `
          + 'training is moving away from a better model. Lower train.learningRate or the server learning rate, or enable earlyStopping.',
      });
    }
  }
  return out;
}

/** Why the training loss is not to be trusted, or undefined when it looks sound. */
function lossDiverged(now: RoundObservation, earlier: EarlierRound[]): string | undefined {
  if (now.purpose !== 'train' || now.trainLoss === null) return undefined;
  const loss = now.trainLoss;
  if (!Number.isFinite(loss)) {
    return `the training loss is ${loss}: local training diverged. Lower train.learningRate, standardize large-valued columns, or check the members' data.`;
  }
  if (now.task === 'binary' && loss > MAX_BINARY_ROW_LOSS) {
    return `the training loss ${loss.toFixed(2)} is above log-loss's ceiling of ${MAX_BINARY_ROW_LOSS} per row: members' loss sums hit the secure-aggregation bound, `
      + 'so the model is not learning (usually unscaled money-sized columns). Rescale those columns or look at the statistics round\'s warnings.';
  }
  const first = earlier.find((r) => r.purpose === 'train' && r.trainLoss !== null && Number.isFinite(r.trainLoss) && r.trainLoss > 0);
  if (first && loss > LOSS_EXPLOSION_FACTOR * first.trainLoss!) {
    return `the training loss ${loss.toPrecision(4)} is more than ${LOSS_EXPLOSION_FACTOR}× the first round's (${first.trainLoss!.toPrecision(4)}, round ${first.number}): `
      + 'training diverged. Lower train.learningRate or the server learning rate.';
  }
  return undefined;
}
