// The privacy budget of one task: every noisy release charged in Rényi-DP, composed, read as (ε, δ), refused past the budget.
import { ConsortError } from '../errors/consort-error.ts';
import { DEFAULT_ORDERS, epsilonFromRdp, rdpCurve, type EpsilonDelta } from './rdp.ts';

/** What a charge paid for (segmentation rounds by their purpose). */
export type ReleaseKind = 'train' | 'clip-count' | 'evaluate' | 'statistics' | 'segmentation' | 'audit'
  | 'segmentation-histogram' | 'segmentation-count-gate' | 'segmentation-lloyd' | 'segmentation-profile';

/**
 * One noisy release, as the accountant sees it: `steps` compositions of the Poisson-subsampled
 * Gaussian with rate `samplingRate` and noise multiplier `noiseMultiplier`.
 * `unit` says whose contribution the sensitivity bounds: a whole member's (member-level DP-FedAvg)
 * or one customer's (DP-SGD, counts). A member-level guarantee is also a customer-level one
 * (one customer lives at one member), so every charge counts in the customer-level total.
 */
export interface PrivacyCharge {
  round: number;
  /** Model version the release belongs to, when it is one. */
  modelVersion?: number;
  kind: ReleaseKind;
  unit: 'member' | 'customer';
  samplingRate: number;
  noiseMultiplier: number;
  steps: number;
}

/** The (ε, δ) budget of a task. */
export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** Spent so far, per unit. */
export interface PrivacySpent {
  /** Every charge: the guarantee each customer has. */
  customer: EpsilonDelta;
  /** Member-level charges only: the guarantee each member (as a whole) has; ε = 0 when none. */
  member: EpsilonDelta;
  charges: number;
}

function chargeCurve(c: PrivacyCharge, orders: readonly number[]): number[] {
  return rdpCurve(c.samplingRate, c.noiseMultiplier, c.steps, orders);
}

/**
 * Accumulates a task's charges. `charge()` refuses (PRIVACY_BUDGET_EXHAUSTED) a release that would
 * take the customer-level ε past the budget, and records nothing then; `wouldExceed()` asks first.
 */
export class PrivacyLedger {
  private readonly all: number[];
  private readonly memberOnly: number[];
  private readonly entries: PrivacyCharge[] = [];

  constructor(readonly budget: PrivacyBudget, readonly orders: readonly number[] = DEFAULT_ORDERS) {
    if (!(budget.epsilon > 0) || !(budget.delta > 0 && budget.delta < 1)) {
      throw new ConsortError('INVALID_ARGUMENT', `privacy budget needs epsilon > 0 and 0 < delta < 1 (got ε=${budget.epsilon}, δ=${budget.delta})`);
    }
    this.all = orders.map(() => 0);
    this.memberOnly = orders.map(() => 0);
  }

  /** A ledger replayed from stored charges (the store keeps the charges, not the curve). */
  static fromCharges(budget: PrivacyBudget, charges: readonly PrivacyCharge[], orders: readonly number[] = DEFAULT_ORDERS): PrivacyLedger {
    const ledger = new PrivacyLedger(budget, orders);
    for (const c of charges) ledger.record(c);
    return ledger;
  }

  get charges(): readonly PrivacyCharge[] {
    return this.entries;
  }

  private record(c: PrivacyCharge): void {
    const curve = chargeCurve(c, this.orders);
    curve.forEach((r, i) => {
      this.all[i] += r;
      if (c.unit === 'member') this.memberOnly[i] += r;
    });
    this.entries.push({ ...c });
  }

  /** (ε, δ) spent so far at the budget's δ. */
  spent(): PrivacySpent {
    const { delta } = this.budget;
    const member = this.entries.some((c) => c.unit === 'member')
      ? epsilonFromRdp(this.orders, this.memberOnly, delta)
      : { epsilon: 0, delta, order: this.orders[0] };
    const customer = this.entries.length > 0 ? epsilonFromRdp(this.orders, this.all, delta) : { epsilon: 0, delta, order: this.orders[0] };
    return { customer, member, charges: this.entries.length };
  }

  /** Customer-level ε after the given charges, without recording them. */
  epsilonAfter(charges: readonly PrivacyCharge[]): number {
    const total = this.all.slice();
    for (const c of charges) chargeCurve(c, this.orders).forEach((r, i) => { total[i] += r; });
    return epsilonFromRdp(this.orders, total, this.budget.delta).epsilon;
  }

  /** True when the charges would take ε past the budget. */
  wouldExceed(charges: readonly PrivacyCharge[]): boolean {
    return this.epsilonAfter(charges) > this.budget.epsilon;
  }

  /**
   * Records charges for releases that already happened (a sum the coordinator has seen), even
   * past the budget: the ledger must say what was spent. Refusal belongs before the release.
   */
  recordReleased(charges: readonly PrivacyCharge[]): PrivacySpent {
    for (const c of charges) this.record(c);
    return this.spent();
  }

  /** Records the charges, or throws PRIVACY_BUDGET_EXHAUSTED and records none of them. */
  charge(...charges: PrivacyCharge[]): PrivacySpent {
    const after = this.epsilonAfter(charges);
    if (after > this.budget.epsilon) {
      const now = this.spent().customer.epsilon;
      throw new ConsortError('PRIVACY_BUDGET_EXHAUSTED',
        `the task's privacy budget ε=${this.budget.epsilon} (δ=${this.budget.delta}) would be exceeded: `
        + `spent ε=${now.toFixed(3)}, this ${charges.map((c) => c.kind).join(' + ')} release would bring it to ε=${after.toFixed(3)}; `
        + 'publish the last model, or define a new task with a larger budget, more noise (privacy.noiseMultiplier) or fewer rounds',
        { spentEpsilon: now, wouldBe: after, budgetEpsilon: this.budget.epsilon, delta: this.budget.delta });
    }
    for (const c of charges) this.record(c);
    return this.spent();
  }
}
