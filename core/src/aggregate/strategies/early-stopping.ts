// Early stopping on the federated (securely aggregated) validation loss.
import { ConsortError } from '../../errors/consort-error.ts';

export interface EarlyStoppingOptions {
  /** Rounds without improvement tolerated before stopping, an integer ≥ 1. Default 10. */
  patience?: number;
  /** A loss counts as an improvement only if below best − minDelta; ≥ 0. Default 1e-4. */
  minDelta?: number;
}

/**
 * Patience 10 rides out the round-to-round noise of minibatch local training and of server
 * momentum (the held-out loss of FedAvgM can rise for a few rounds before it falls again);
 * minDelta 1e-4 (on a cross-entropy near 0.3–0.6) ends the long tail where the loss still
 * creeps down but the AUC no longer moves in its third decimal.
 */
export const EARLY_STOPPING_DEFAULTS = { patience: 10, minDelta: 1e-4 } as const;

function invalid(option: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `early stopping option "${option}" ${message}`, { option });
}

/**
 * Stops training once the evaluation loss has not improved by more than `minDelta` for
 * `patience` consecutive observed rounds (Prechelt, "Early Stopping — But When?", 1998). The
 * loss is the example-weighted mean from an evaluation round, so no member's loss is revealed.
 * A non-finite loss (a diverged model) never counts as an improvement. `best` says which
 * round's model to publish as final.
 */
export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  private bestValue: { round: number; loss: number } | null = null;
  private sinceBest = 0;
  private lastRound = -Infinity;

  constructor(options: EarlyStoppingOptions = {}) {
    const patience = options.patience ?? EARLY_STOPPING_DEFAULTS.patience;
    const minDelta = options.minDelta ?? EARLY_STOPPING_DEFAULTS.minDelta;
    if (!Number.isInteger(patience) || patience < 1) invalid('patience', `must be an integer ≥ 1 (got ${patience})`);
    if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta)) invalid('minDelta', `must be a finite number ≥ 0 (got ${minDelta})`);
    this.patience = patience;
    this.minDelta = minDelta;
  }

  /** The round with the lowest loss so far, or null before the first finite loss. */
  get best(): { round: number; loss: number } | null {
    return this.bestValue === null ? null : { ...this.bestValue };
  }

  /** Records the evaluation loss of `round`; rounds must increase (each observed once). */
  observe(round: number, evalLoss: number): 'continue' | 'stop' {
    if (!Number.isInteger(round) || round <= this.lastRound) invalid('round', `must be an integer after the last observed round ${this.lastRound} (got ${round})`);
    if (typeof evalLoss !== 'number') invalid('evalLoss', `must be a number (got ${JSON.stringify(evalLoss)})`);
    this.lastRound = round;
    const improved = Number.isFinite(evalLoss) && (this.bestValue === null || evalLoss < this.bestValue.loss - this.minDelta);
    if (improved) {
      this.bestValue = { round, loss: evalLoss };
      this.sinceBest = 0;
      return 'continue';
    }
    this.sinceBest++;
    return this.sinceBest >= this.patience ? 'stop' : 'continue';
  }

  /** Plain-JSON state so a restarted coordinator keeps counting where it left off. */
  state(): Record<string, number> {
    const s: Record<string, number> = { sinceBest: this.sinceBest };
    if (Number.isFinite(this.lastRound)) s.lastRound = this.lastRound;
    if (this.bestValue) Object.assign(s, { bestRound: this.bestValue.round, bestLoss: this.bestValue.loss });
    return s;
  }

  restore(state: Record<string, number>): void {
    const { sinceBest, lastRound, bestRound, bestLoss } = state;
    if (!Number.isInteger(sinceBest) || sinceBest < 0) invalid('sinceBest', `must be an integer ≥ 0 (got ${sinceBest})`);
    if (lastRound !== undefined && !Number.isInteger(lastRound)) invalid('lastRound', `must be an integer (got ${lastRound})`);
    if ((bestRound === undefined) !== (bestLoss === undefined)) invalid('bestRound', 'and bestLoss go together');
    if (bestLoss !== undefined && (!Number.isInteger(bestRound) || !Number.isFinite(bestLoss))) invalid('bestLoss', 'must be finite with an integer bestRound');
    this.sinceBest = sinceBest;
    this.lastRound = lastRound ?? -Infinity;
    this.bestValue = bestLoss === undefined ? null : { round: bestRound, loss: bestLoss };
  }
}
