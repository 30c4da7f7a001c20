// The churn task a consortium trains on the generated data: features, label, protected attributes.
import { BEHAVIOUR_COLUMNS, CHANNELS, PLANS, REGIONS, type Column } from './vocabulary.ts';

/** Description of a tabular binary task over the generated columns. */
export interface ChurnTaskSchema {
  /** Behavioural numeric features (may contain blanks to impute). */
  numeric: Column[];
  /** Categorical features, one-hot encoded with `vocabularies`. */
  categorical: Column[];
  /** Label column. */
  label: 'churned';
  /** Label values counted as the positive class. */
  positiveLabel: string[];
  /** Attributes kept out of the features and used only by the fairness audit. */
  protected: Column[];
  /** Fixed vocabulary per categorical feature, so every member one-hot encodes identically. */
  vocabularies: Record<string, string[]>;
}

/**
 * A sensible churn task over the generator's columns. Left out on purpose: the protected
 * attributes (audited, not used), the other labels (`converted`, `next_period_spend` are
 * future outcomes and would leak), and identifiers or bookkeeping (`customer_id`,
 * `signup_date` duplicates tenure, `consent`).
 */
export function churnTaskSchema(): ChurnTaskSchema {
  return {
    numeric: ['tenure_days', ...BEHAVIOUR_COLUMNS],
    categorical: ['plan', 'channel', 'region'],
    label: 'churned',
    positiveLabel: ['1'],
    protected: ['gender', 'age_band'],
    vocabularies: { plan: [...PLANS], channel: [...CHANNELS], region: [...REGIONS] },
  };
}
