// Member profiles: the business kinds and per-member draws that make the consortium non-IID.
import type { Rng } from './rng.ts';
import { AGE_BANDS, CHANNELS, GENDERS, PLANS, REGIONS, type Region } from './vocabulary.ts';

/** A kind of small business; its customers' habits shape the member's feature distributions. */
export interface Archetype {
  /** Short key, e.g. 'student-gym'. */
  kind: string;
  /** Trade word used in the business name, e.g. 'Fitness'. */
  trade: string;
  /** Relative weights over AGE_BANDS. */
  ageMix: number[];
  /** Relative weights over GENDERS. */
  genderMix: number[];
  /** Relative weights over CHANNELS. */
  channelMix: number[];
  /** Relative weights over PLANS. */
  planMix: number[];
  /** Typical purchases per year of an average customer. */
  purchasesPerYear: number;
  /** Typical order value, in currency units, before the member's price level. */
  orderValue: number;
}

// Ages, genders and habits are stylised, not statistics: what matters is that they differ.
/** The business kinds a member can be. */
export const ARCHETYPES: readonly Archetype[] = [
  { kind: 'student-gym', trade: 'Fitness', ageMix: [40, 30, 14, 8, 5, 3], genderMix: [45, 52, 3], channelMix: [35, 10, 50, 5], planMix: [55, 35, 10], purchasesPerYear: 12, orderValue: 30 },
  { kind: 'premium-clinic', trade: 'Physio Clinic', ageMix: [3, 10, 17, 24, 25, 21], genderMix: [55, 44, 1], channelMix: [35, 25, 10, 30], planMix: [15, 40, 45], purchasesPerYear: 4, orderValue: 140 },
  { kind: 'coffee-house', trade: 'Coffee House', ageMix: [18, 28, 22, 15, 10, 7], genderMix: [50, 48, 2], channelMix: [60, 5, 33, 2], planMix: [60, 30, 10], purchasesPerYear: 45, orderValue: 7 },
  { kind: 'boutique', trade: 'Boutique', ageMix: [12, 28, 26, 18, 11, 5], genderMix: [78, 20, 2], channelMix: [45, 45, 8, 2], planMix: [45, 35, 20], purchasesPerYear: 4, orderValue: 80 },
  { kind: 'bike-shop', trade: 'Bike Works', ageMix: [10, 24, 26, 22, 12, 6], genderMix: [25, 73, 2], channelMix: [55, 35, 3, 7], planMix: [50, 35, 15], purchasesPerYear: 3, orderValue: 95 },
  { kind: 'bakery', trade: 'Bakery', ageMix: [6, 14, 18, 20, 20, 22], genderMix: [58, 41, 1], channelMix: [75, 10, 10, 5], planMix: [65, 28, 7], purchasesPerYear: 30, orderValue: 12 },
  { kind: 'hair-studio', trade: 'Hair Studio', ageMix: [16, 26, 22, 17, 12, 7], genderMix: [70, 28, 2], channelMix: [30, 20, 30, 20], planMix: [40, 40, 20], purchasesPerYear: 7, orderValue: 48 },
  { kind: 'pet-supply', trade: 'Pet Supply', ageMix: [8, 22, 24, 20, 15, 11], genderMix: [56, 42, 2], channelMix: [45, 40, 10, 5], planMix: [55, 33, 12], purchasesPerYear: 9, orderValue: 42 },
  { kind: 'bookshop', trade: 'Books', ageMix: [12, 15, 16, 18, 20, 19], genderMix: [57, 40, 3], channelMix: [55, 35, 5, 5], planMix: [60, 30, 10], purchasesPerYear: 6, orderValue: 26 },
  { kind: 'yoga-studio', trade: 'Yoga Studio', ageMix: [12, 34, 28, 15, 8, 3], genderMix: [75, 22, 3], channelMix: [20, 20, 55, 5], planMix: [35, 40, 25], purchasesPerYear: 18, orderValue: 22 },
];

// Place words that hint at the member's main region, so names read like the data.
const PLACES: Record<Region, string[]> = {
  north: ['Northside', 'Hilltop', 'Northgate', 'Pine Ridge'],
  south: ['Southbank', 'Harbor', 'Bayview', 'Southport'],
  east: ['Eastgate', 'Sunrise', 'Riverside', 'East End'],
  west: ['Westfield', 'Sunset', 'Lakeside', 'Westbrook'],
  central: ['Old Town', 'Market Street', 'Central', 'Maple Street'],
};

/** Everything drawn for one member; recorded so a run can be explained and reproduced. */
export interface MemberProfile {
  /** Archetype key, e.g. 'premium-clinic'. */
  kind: string;
  /** Number of customers (rows). */
  size: number;
  /** Churn base rate the member's intercept was calibrated to. */
  targetChurnRate: number;
  /** Member-specific churn intercept shift found by calibration (filled by the generator). */
  churnIntercept: number;
  /** Probability over REGIONS; mostly one or two regions. */
  regionMix: Record<string, number>;
  /** Probability over AGE_BANDS. */
  ageMix: Record<string, number>;
  /** Probability over GENDERS. */
  genderMix: Record<string, number>;
  /** Probability over CHANNELS. */
  channelMix: Record<string, number>;
  /** Probability over PLANS. */
  planMix: Record<string, number>;
  /** Multiplier on the archetype's order value (cheap vs upmarket shop). */
  priceLevel: number;
  /** Typical order value of a standard-plan customer: archetype value x price level. */
  orderValue: number;
  /** Typical purchases per year after the member's own drift. */
  purchasesPerYear: number;
  /** Shift of customers' latent engagement (loyal base vs fickle one). */
  engagementShift: number;
  /** Marketing emails sent per consenting customer per year. */
  emailsPerYear: number;
  /** Mean support tickets per customer per year. */
  ticketRate: number;
  /** Shift of ticket sentiment (good vs poor service). */
  serviceQuality: number;
  /** Share of customers who consented to marketing. */
  consentRate: number;
  /** Years the business has been open: an upper bound on tenure. */
  yearsOpen: number;
}

/** Draws member sizes: log-spaced over a >= 12x range, scaled to about `total`, none below `minSize`. */
export function drawSizes(rng: Rng, members: number, total: number, minSize: number): number[] {
  if (members === 1) return [Math.max(minSize, Math.round(total))];
  const spread = rng.uniform(12, 30);
  // Log-spaced weights keep both ends pinned (so the range holds for any seed); jitter the middle.
  const logs = Array.from({ length: members }, (_, i) => {
    const t = i / (members - 1);
    const jitter = i === 0 || i === members - 1 ? 0 : rng.normal(0, 0.15);
    return Math.log(spread) * Math.min(1, Math.max(0, t + jitter));
  });
  const weights = rng.shuffle(logs.map(Math.exp));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(minSize, Math.round((w / sum) * total)));
  // A tiny total can squash the range against minSize: restore it on the largest member.
  const smallest = Math.min(...sizes);
  const largestAt = sizes.indexOf(Math.max(...sizes));
  sizes[largestAt] = Math.max(sizes[largestAt], Math.ceil(smallest * 10));
  return sizes;
}

/** Draws target churn base rates spread over roughly 10 %-45 %. */
export function drawChurnRates(rng: Rng, members: number): number[] {
  const rates = Array.from({ length: members }, (_, i) => {
    const t = members === 1 ? 0.5 : i / (members - 1);
    return Math.min(0.47, Math.max(0.08, 0.1 + 0.35 * t + rng.normal(0, 0.015)));
  });
  return rng.shuffle(rates);
}

/** Draws one member's profile around its archetype; returns the main region for naming. */
export function drawProfile(rng: Rng, archetype: Archetype, size: number, targetChurnRate: number): { profile: MemberProfile; primaryRegion: Region } {
  const primary = rng.pick(REGIONS);
  const regionWeights = REGIONS.map(() => rng.uniform(0, 0.04));
  regionWeights[REGIONS.indexOf(primary)] += rng.uniform(0.55, 0.9);
  if (rng.bernoulli(0.6)) {
    const others = REGIONS.filter((r) => r !== primary);
    regionWeights[REGIONS.indexOf(rng.pick(others))] += rng.uniform(0.1, 0.35);
  }
  const priceLevel = round4(rng.logNormal(0, 0.3));
  const profile: MemberProfile = {
    kind: archetype.kind,
    size,
    targetChurnRate: round4(targetChurnRate),
    churnIntercept: 0,
    regionMix: normalise(REGIONS, regionWeights),
    ageMix: normalise(AGE_BANDS, perturb(rng, archetype.ageMix, 0.3)),
    genderMix: normalise(GENDERS, perturb(rng, archetype.genderMix, 0.15)),
    channelMix: normalise(CHANNELS, perturb(rng, archetype.channelMix, 0.35)),
    planMix: normalise(PLANS, perturb(rng, archetype.planMix, 0.3)),
    priceLevel,
    orderValue: round4(archetype.orderValue * priceLevel),
    purchasesPerYear: round4(archetype.purchasesPerYear * rng.logNormal(0, 0.2)),
    engagementShift: round4(rng.normal(0, 0.25)),
    emailsPerYear: rng.int(8, 52),
    ticketRate: round4(rng.uniform(0.2, 1.2)),
    serviceQuality: round4(rng.normal(0, 0.25)),
    consentRate: round4(rng.uniform(0.92, 0.98)),
    yearsOpen: rng.int(2, 15),
  };
  return { profile, primaryRegion: primary };
}

/** A business name such as 'Northside Fitness', unique within `used`. */
export function drawName(rng: Rng, region: Region, trade: string, used: Set<string>): string {
  const candidates = rng.shuffle(PLACES[region]).map((place) => `${place} ${trade}`);
  let name = candidates.find((n) => !used.has(n)) ?? `${candidates[0]} ${used.size + 1}`;
  while (used.has(name)) name = `${name}+`;
  used.add(name);
  return name;
}

function perturb(rng: Rng, weights: readonly number[], sigma: number): number[] {
  return weights.map((w) => w * rng.logNormal(0, sigma));
}

function normalise(keys: readonly string[], weights: readonly number[]): Record<string, number> {
  const total = weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(keys.map((k, i) => [k, round4(weights[i] / total)]));
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
