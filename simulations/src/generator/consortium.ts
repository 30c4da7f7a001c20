// generateConsortium: N member businesses with non-IID customer tables, deterministic by seed.
import { drawCustomer, drawLabels, sigmoid, type DraftCustomer } from './customer.ts';
import { ARCHETYPES, drawChurnRates, drawName, drawProfile, drawSizes, type MemberProfile } from './profile.ts';
import { Rng } from './rng.ts';
import type { CustomerRow } from './vocabulary.ts';

/** Options of generateConsortium; defaults are resolved in resolveGenerateOptions(). */
export interface GenerateOptions {
  /** Number of member businesses (>= 1). */
  members: number;
  /** Seed: the same seed gives byte-identical data, another seed different data. */
  seed: number;
  /** Target total number of customers over all members (default 12,000); approximate, since every member keeps at least `MIN_MEMBER_ROWS`. */
  totalCustomers?: number;
  /** Day the export is taken, YYYY-MM-DD (default '2025-06-30'); fixed rather than "today" so runs reproduce. */
  cutoffDate?: string;
}

/** One member's synthetic export. */
export interface MemberDataset {
  /** Stable id, 'member-01', 'member-02', ... */
  memberId: string;
  /** Plausible business name, e.g. 'Northside Fitness'. */
  name: string;
  /** Customer rows; blank cells are ''. */
  rows: CustomerRow[];
  /** What was drawn for this member. */
  profile: MemberProfile;
}

/** Smallest member size: enough rows for a member to hold out a test split. */
export const MIN_MEMBER_ROWS = 60;

/** Options with every default filled in. */
export type ResolvedGenerateOptions = Required<GenerateOptions>;

/** Fills defaults and checks ranges (one place for both). */
export function resolveGenerateOptions(options: GenerateOptions): ResolvedGenerateOptions {
  const resolved = { totalCustomers: 12_000, cutoffDate: '2025-06-30', ...options };
  if (!Number.isInteger(resolved.members) || resolved.members < 1) throw new RangeError(`members must be a positive integer, got ${resolved.members}`);
  if (!Number.isFinite(resolved.seed)) throw new RangeError(`seed must be a number, got ${resolved.seed}`);
  if (!(resolved.totalCustomers > 0)) throw new RangeError(`totalCustomers must be positive, got ${resolved.totalCustomers}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(resolved.cutoffDate) || Number.isNaN(Date.parse(`${resolved.cutoffDate}T00:00:00Z`))) {
    throw new RangeError(`cutoffDate must be YYYY-MM-DD, got ${resolved.cutoffDate}`);
  }
  return resolved;
}

/**
 * Generates a synthetic consortium. Non-IID by construction: member sizes span more than 10x,
 * each member's churn intercept is calibrated to its own base rate (spread over ~10 %-45 %),
 * and region, age, gender, channel, plan mixes and price level are drawn per member around a
 * business archetype. Churn itself follows one shared behavioural model (see churnScore).
 */
export function generateConsortium(options: GenerateOptions): MemberDataset[] {
  const { members, seed, totalCustomers, cutoffDate } = resolveGenerateOptions(options);
  const root = new Rng(seed);
  const cutoff = new Date(`${cutoffDate}T00:00:00Z`);
  // Consortium-level draws first, from the root stream; each member then gets its own fork.
  const sizes = drawSizes(root, members, totalCustomers, MIN_MEMBER_ROWS);
  const churnRates = drawChurnRates(root, members);
  const archetypes = root.shuffle(ARCHETYPES);
  const usedNames = new Set<string>();

  return sizes.map((size, i) => {
    const rng = root.fork(i);
    const memberId = `member-${String(i + 1).padStart(2, '0')}`;
    const { profile, primaryRegion } = drawProfile(rng, archetypes[i % archetypes.length], size, churnRates[i]);
    const name = drawName(rng, primaryRegion, ARCHETYPES.find((a) => a.kind === profile.kind)!.trade, usedNames);
    const idPrefix = `c${String(i + 1).padStart(2, '0')}-`;
    const drafts = Array.from({ length: size }, (_, k) => drawCustomer(rng, profile, `${idPrefix}${String(k + 1).padStart(6, '0')}`, cutoff));
    profile.churnIntercept = Math.round(calibrateIntercept(drafts, profile.targetChurnRate) * 10000) / 10000;
    const rows = drafts.map((d) => drawLabels(rng, d, profile.churnIntercept));
    return { memberId, name, rows, profile };
  });
}

/** Churn rate of a dataset's rows (share of churned = 1). */
export function churnRate(rows: readonly CustomerRow[]): number {
  return rows.length === 0 ? 0 : rows.filter((r) => r.churned === 1).length / rows.length;
}

// The intercept whose expected churn rate over these customers equals the target. Expected
// rate rises monotonically with the intercept, so bisection always converges.
function calibrateIntercept(drafts: readonly DraftCustomer[], target: number): number {
  let lo = -20;
  let hi = 20;
  for (let step = 0; step < 60; step += 1) {
    const mid = (lo + hi) / 2;
    const rate = drafts.reduce((sum, d) => sum + sigmoid(mid + d.churnScore), 0) / drafts.length;
    if (rate < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
