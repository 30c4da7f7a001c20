// One synthetic customer: demographics, behaviour before the cutoff, and the behaviour-driven labels.
import type { MemberProfile } from './profile.ts';
import type { Rng } from './rng.ts';
import { AGE_BANDS, CHANNELS, GENDERS, PLANS, REGIONS, type AgeBand, type Channel, type CustomerRow, type Plan } from './vocabulary.ts';

/** Days after the cutoff without a purchase that make a customer "churned". */
export const CHURN_HORIZON_DAYS = 90;
/** Days after the cutoff over which next_period_spend is summed (longer than the churn horizon, so a few churned customers come back late). */
export const SPEND_PERIOD_DAYS = 180;

/** The observed behaviour the true churn model reads (values as exported, before blanks). */
export interface ChurnDrivers {
  tenureDays: number;
  recencyDays: number;
  frequency: number;
  emailClicks: number;
  supportTickets: number;
  ticketSentiment: number;
  nps: number;
  referrals: number;
  plan: Plan;
  channel: Channel;
}

// Plan x channel interaction: cheap plans bought through remote channels are the loosest ties,
// premium app users the tightest.
const PLAN_CHANNEL: Record<Plan, Record<Channel, number>> = {
  basic: { store: 0.1, web: 0.55, app: 0.2, phone: 0.45 },
  standard: { store: 0, web: 0.1, app: -0.1, phone: 0.15 },
  premium: { store: -0.15, web: 0.1, app: -0.6, phone: -0.1 },
};

/**
 * The ground-truth churn logit without the member's intercept. Deliberately non-linear, with
 * interactions a linear model cannot express (so an MLP has something to find), and with no
 * term in age or gender: protected attributes act only indirectly, through behaviour.
 */
export function churnScore(d: ChurnDrivers): number {
  let z = 0.9 * Math.log1p(d.recencyDays / 30) - 0.4 * Math.log1p(d.frequency);
  // Lapsed occasional buyers: high recency with low frequency is worse than the sum of its parts.
  if (d.recencyDays > 120 && d.frequency <= 3) z += 1.3;
  // Overdue relative to the customer's own rhythm: 30 days is nothing for a clinic, a lot for a cafe.
  const usualGap = 365 / Math.max(1, d.frequency);
  z += 0.6 * Math.min(2.5, Math.max(-1, Math.log((d.recencyDays + 1) / (usualGap + 1))));
  // Complaints only hurt when they went badly.
  z += 0.55 * Math.min(d.supportTickets, 6) * Math.max(0, -d.ticketSentiment);
  // U-shape in tenure: newcomers have not settled in, long-timers drift away; ~18 months is safest.
  const t = (Math.log(Math.max(1, d.tenureDays)) - Math.log(540)) / 1.1;
  z += 0.6 * t * t;
  z += PLAN_CHANNEL[d.plan][d.channel];
  z -= 0.18 * (d.nps - 7);
  z -= 0.35 * Math.log1p(d.emailClicks);
  z -= 0.3 * Math.min(d.referrals, 3);
  return z;
}

/** A customer before labelling: the row so far and what the labels are drawn from. */
export interface DraftCustomer {
  /** Row with every column except the three labels filled (blanks already applied). */
  row: Omit<CustomerRow, 'churned' | 'converted' | 'next_period_spend'>;
  /** churnScore() of the pre-blank behaviour. */
  churnScore: number;
  /** Logit of responding to the campaign. */
  conversionLogit: number;
  /** Expected spend over the next period if the customer stays. */
  expectedSpend: number;
  /** Spend of the last 12 months (numeric, for the churned customers' residual spend). */
  monetary: number;
}

/** Draws one customer's demographics and behaviour up to `cutoff` (a UTC date). */
export function drawCustomer(rng: Rng, profile: MemberProfile, customerId: string, cutoff: Date): DraftCustomer {
  const region = rng.weighted(REGIONS, REGIONS.map((r) => profile.regionMix[r]));
  const ageBand = rng.weighted(AGE_BANDS, AGE_BANDS.map((a) => profile.ageMix[a]));
  const gender = rng.weighted(GENDERS, GENDERS.map((g) => profile.genderMix[g]));
  const young = ageBand === '18-24' || ageBand === '25-34';
  const older = ageBand === '55-64' || ageBand === '65+';

  // Age tilts channel and plan: the small, indirect route by which protected attributes reach churn.
  const channel = rng.weighted(CHANNELS, CHANNELS.map((c) => profile.channelMix[c] * channelTilt(c, young, older)));
  const plan = rng.weighted(PLANS, PLANS.map((p) => profile.planMix[p] * planTilt(p, ageBand)));

  const tenureCap = profile.yearsOpen * 365;
  const tenureDays = Math.min(tenureCap, 1 + Math.floor(rng.exponential(Math.min(tenureCap, 900) * 0.8)));
  const window = Math.min(tenureDays, 365);

  // Two latent traits drive everything observed: engagement (habit) and satisfaction (service).
  const engagement = rng.normal(profile.engagementShift + (plan === 'premium' ? 0.25 : plan === 'basic' ? -0.1 : 0), 1);
  const satisfaction = rng.normal(0, 1);

  const planSpend = plan === 'premium' ? 1.35 : plan === 'basic' ? 0.85 : 1;
  const frequency = rng.poisson(profile.purchasesPerYear * Math.exp(0.55 * engagement - 0.15) * (window / 365));
  const customerOrderValue = profile.orderValue * planSpend * rng.logNormal(0, 0.35);

  let recencyDays: number;
  if (frequency === 0) {
    recencyDays = tenureDays <= 365 ? tenureDays : Math.min(tenureDays, 366 + Math.floor(rng.exponential(200)));
  } else {
    // Some customers drift away mid-year: their last purchase lies far back in the window.
    const lapseChance = sigmoid(-1.6 - 0.8 * engagement - 0.4 * satisfaction);
    const gap = window / frequency;
    const raw = rng.bernoulli(lapseChance) ? rng.uniform(0.3, 1) * window : rng.exponential(gap * 0.7);
    recencyDays = Math.min(window, Math.round(raw));
  }

  const monetary = frequency === 0 ? 0 : round2(frequency * customerOrderValue * rng.logNormal(0, 0.1 / Math.sqrt(frequency)));
  const avgOrderValue: number | '' = frequency === 0 ? '' : round2(monetary / frequency);
  const interPurchaseDays: number | '' = frequency <= 1 ? '' : round1((window / frequency) * rng.logNormal(0, 0.15));

  const consent = rng.bernoulli(profile.consentRate);
  const emailsSent = consent ? Math.round(profile.emailsPerYear * (window / 365)) : 0;
  const openRate = sigmoid(-0.9 + 0.6 * engagement + (older ? 0.15 : 0));
  const emailOpens = rng.binomial(emailsSent, openRate);
  const emailClicks = rng.binomial(emailOpens, sigmoid(-1.8 + 0.5 * engagement + (plan === 'premium' ? 0.2 : 0)));

  const visitBase = { store: 2, web: 14, app: 22, phone: 1 }[channel] * (older ? 0.7 : 1);
  const webVisits = rng.poisson(visitBase * Math.exp(0.5 * engagement));

  const supportTickets = rng.poisson(profile.ticketRate * Math.exp(-0.5 * satisfaction) * (frequency > 0 ? 1 : 0.4));
  // No tickets reads as neutral (0): the CRM reports the mean sentiment of zero tickets as 0.
  const ticketSentiment = supportTickets === 0 ? 0 : round2(Math.tanh(0.7 * satisfaction + profile.serviceQuality + rng.normal(0, 0.35)));
  const nps = Math.round(clamp(7.2 + 1.6 * satisfaction + 0.5 * engagement + rng.normal(0, 1), 0, 10));
  const referrals = rng.poisson(0.12 * Math.exp(0.225 * (nps - 7) + 0.3 * engagement));

  const score = churnScore({ tenureDays, recencyDays, frequency, emailClicks, supportTickets, ticketSentiment, nps, referrals, plan, channel });
  const conversionLogit =
    -2.4 + 0.45 * Math.log1p(emailOpens) + 0.8 * Math.log1p(emailClicks) + 0.2 * engagement + (plan === 'premium' ? 0.45 : plan === 'basic' ? -0.3 : 0) - (consent ? 0 : 1.5);
  const expectedSpend = customerOrderValue * Math.max(1, frequency) * (SPEND_PERIOD_DAYS / 365) * Math.exp(0.25 * engagement + rng.normal(0, 0.35));

  const signup = new Date(cutoff.getTime() - tenureDays * 86_400_000);
  return {
    row: {
      customer_id: customerId,
      signup_date: signup.toISOString().slice(0, 10),
      tenure_days: tenureDays,
      plan,
      channel,
      region,
      age_band: ageBand,
      gender,
      consent: consent ? 'yes' : 'no',
      recency_days: recencyDays,
      frequency,
      monetary,
      avg_order_value: avgOrderValue,
      inter_purchase_days: interPurchaseDays,
      email_opens: emailOpens,
      email_clicks: emailClicks,
      web_visits: webVisits,
      support_tickets: supportTickets,
      // Real exports have gaps: a survey not answered, a ticket never scored.
      ticket_sentiment: rng.bernoulli(0.015) ? '' : ticketSentiment,
      nps: rng.bernoulli(0.015) ? '' : nps,
      referrals,
    },
    churnScore: score,
    conversionLogit,
    expectedSpend,
    monetary,
  };
}

/** Draws the three labels given the member's calibrated churn intercept. */
export function drawLabels(rng: Rng, draft: DraftCustomer, churnIntercept: number): CustomerRow {
  const churned = rng.bernoulli(sigmoid(churnIntercept + draft.churnScore));
  const converted = rng.bernoulli(sigmoid(draft.conversionLogit));
  let nextSpend: number;
  if (!churned) nextSpend = draft.expectedSpend;
  else nextSpend = rng.bernoulli(0.85) ? 0 : draft.monetary * rng.uniform(0.02, 0.15);
  return { ...draft.row, churned: churned ? 1 : 0, converted: converted ? 1 : 0, next_period_spend: round2(nextSpend) };
}

/** Logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function channelTilt(c: Channel, young: boolean, older: boolean): number {
  if (young) return c === 'app' ? 1.6 : c === 'phone' ? 0.4 : 1;
  if (older) return c === 'app' ? 0.5 : c === 'store' ? 1.3 : c === 'phone' ? 1.6 : 1;
  return 1;
}

function planTilt(p: Plan, age: AgeBand): number {
  if (age === '18-24') return p === 'premium' ? 0.6 : p === 'basic' ? 1.3 : 1;
  if (age === '45-54' || age === '55-64' || age === '65+') return p === 'premium' ? 1.3 : 1;
  return 1;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
