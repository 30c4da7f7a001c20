// Column names and category vocabularies of the synthetic member export.
/** Subscription or loyalty tier. */
export const PLANS = ['basic', 'standard', 'premium'] as const;
/** Where the customer mostly buys. */
export const CHANNELS = ['store', 'web', 'app', 'phone'] as const;
/** Coarse region of the customer's home store. */
export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const;
/** Age bands as SMB exports usually hold them (birth dates are rarely kept). */
export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
/** Self-reported gender. */
export const GENDERS = ['female', 'male', 'other'] as const;

export type Plan = (typeof PLANS)[number];
export type Channel = (typeof CHANNELS)[number];
export type Region = (typeof REGIONS)[number];
export type AgeBand = (typeof AGE_BANDS)[number];
export type Gender = (typeof GENDERS)[number];

/** The behavioural numeric columns (purchases, engagement, service), in file order. */
export const BEHAVIOUR_COLUMNS = [
  'recency_days',
  'frequency',
  'monetary',
  'avg_order_value',
  'inter_purchase_days',
  'email_opens',
  'email_clicks',
  'web_visits',
  'support_tickets',
  'ticket_sentiment',
  'nps',
  'referrals',
] as const;

/** Every column of a member CSV, in file order. */
export const COLUMNS = [
  'customer_id',
  'signup_date',
  'tenure_days',
  'plan',
  'channel',
  'region',
  'age_band',
  'gender',
  'consent',
  ...BEHAVIOUR_COLUMNS,
  'churned',
  'converted',
  'next_period_spend',
] as const;

export type Column = (typeof COLUMNS)[number];

/**
 * One customer row. Blank cells (gaps a real export has) are the empty string, never
 * null/undefined, so the CSV writer and in-memory consumers see the same thing.
 */
export type CustomerRow = Record<Column, string | number>;
