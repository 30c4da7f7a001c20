// Invoice lines -> one row per customer as of a cutoff: RFM-style features and churn / next-period-spend labels, streamed through per-customer accumulators.
import { DAY_MS } from './dates.ts';

/** One parsed invoice line. `amount` is signed: cancellations and returns are negative. */
export interface TransactionLine {
  customer: string;
  time: number;
  amount: number;
  /** Invoice/order key; lines of one order share it (default: the timestamp). */
  order: string;
  cancelled: boolean;
  channel?: string;
  attributes?: Record<string, string>;
}

/** Settings of the derivation (all durations in days). */
export interface DerivationSettings {
  cutoff: number;
  horizonDays: number;
  trendDays: number;
}

/** Names of the per-customer columns derived from transactions. */
export const DERIVED_COLUMNS = [
  'recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_order_value', 'inter_purchase_days', 'spend_trend',
  'churned', 'next_period_spend', 'channel',
] as const;

interface Accumulator {
  first: number;
  last: number;
  orders: number;
  lastOrder: string | null;
  monetary: number;
  recent: number;
  earlier: number;
  futureOrders: number;
  futureSpend: number;
  channels: Map<string, number> | null;
  attributes: Record<string, string>;
}

/** Counts the derivation reports (what was dropped and why). */
export interface DerivationStats {
  lines: number;
  linesBeforeCutoff: number;
  linesInHorizon: number;
  linesAfterHorizon: number;
  cancellations: number;
  /** Customers seen only after the cutoff: not customers yet at the cutoff, so not rows. */
  customersOnlyAfterCutoff: number;
  /** Latest timestamp seen: before cutoff + horizon means the labels are censored. */
  lastTime: number;
}

function fmt(n: number): string {
  return String(Number(n.toFixed(4)));
}

/**
 * Accumulates invoice lines per customer in O(customers) memory (no line is kept) and emits
 * one record per customer who bought before the cutoff:
 * - recency_days: cutoff - last purchase; tenure_days: cutoff - first purchase;
 * - frequency: distinct orders before the cutoff (cancellations are not orders; lines of one
 *   order are expected to be consecutive per customer, as every till/e-shop export writes them);
 * - monetary: net spend before the cutoff (cancellations subtract); avg_order_value = monetary / frequency;
 * - inter_purchase_days: (last - first) / (frequency - 1), empty with a single order;
 * - spend_trend: (recent - earlier) / (recent + earlier) of net spend in the trendDays before the
 *   cutoff vs the trendDays before those, in [-1, 1], 0 with no spend in either;
 * - churned: 1 when no order in [cutoff, cutoff + horizonDays), else 0;
 * - next_period_spend: net spend in that window (the lifetime-value target);
 * - channel: the customer's most frequent channel before the cutoff (ties: first seen).
 */
export class TransactionAggregator {
  private readonly customers = new Map<string, Accumulator>();
  readonly stats: DerivationStats = {
    lines: 0, linesBeforeCutoff: 0, linesInHorizon: 0, linesAfterHorizon: 0, cancellations: 0, customersOnlyAfterCutoff: 0, lastTime: -Infinity,
  };
  private readonly end: number;
  private readonly recentStart: number;
  private readonly earlierStart: number;

  constructor(private readonly settings: DerivationSettings) {
    this.end = settings.cutoff + settings.horizonDays * DAY_MS;
    this.recentStart = settings.cutoff - settings.trendDays * DAY_MS;
    this.earlierStart = settings.cutoff - 2 * settings.trendDays * DAY_MS;
  }

  /** Adds one line. */
  add(line: TransactionLine): void {
    const s = this.stats;
    s.lines += 1;
    if (line.time > s.lastTime) s.lastTime = line.time;
    if (line.cancelled) s.cancellations += 1;
    if (line.time >= this.end) { s.linesAfterHorizon += 1; return; }
    let a = this.customers.get(line.customer);
    if (!a) {
      a = {
        first: Infinity, last: -Infinity, orders: 0, lastOrder: null, monetary: 0, recent: 0, earlier: 0,
        futureOrders: 0, futureSpend: 0, channels: null, attributes: { ...line.attributes },
      };
      this.customers.set(line.customer, a);
    } else if (line.attributes) {
      for (const [k, v] of Object.entries(line.attributes)) if (!a.attributes[k] && v) a.attributes[k] = v;
    }
    if (line.time >= this.settings.cutoff) {
      s.linesInHorizon += 1;
      a.futureSpend += line.amount;
      if (!line.cancelled) a.futureOrders += 1;
      return;
    }
    s.linesBeforeCutoff += 1;
    a.monetary += line.amount;
    if (line.time >= this.recentStart) a.recent += line.amount;
    else if (line.time >= this.earlierStart) a.earlier += line.amount;
    if (line.cancelled) return;
    if (line.time < a.first) a.first = line.time;
    if (line.time > a.last) a.last = line.time;
    if (line.order !== a.lastOrder) { a.orders += 1; a.lastOrder = line.order; }
    if (line.channel) {
      a.channels ??= new Map();
      a.channels.set(line.channel, (a.channels.get(line.channel) ?? 0) + 1);
    }
  }

  /** Number of distinct customers seen so far. */
  get size(): number {
    return this.customers.size;
  }

  /** One record per customer with at least one order before the cutoff, in first-seen order. */
  *records(): Generator<{ id: string; values: Record<string, string> }> {
    const cutoff = this.settings.cutoff;
    this.stats.customersOnlyAfterCutoff = 0;
    for (const [id, a] of this.customers) {
      if (a.orders === 0) { this.stats.customersOnlyAfterCutoff += a.futureOrders > 0 ? 1 : 0; continue; }
      let channel = '';
      let best = 0;
      for (const [c, n] of a.channels ?? []) if (n > best) { channel = c; best = n; }
      const trendBase = a.recent + a.earlier;
      yield {
        id,
        values: {
          ...a.attributes,
          recency_days: fmt((cutoff - a.last) / DAY_MS),
          frequency: String(a.orders),
          monetary: fmt(a.monetary),
          tenure_days: fmt((cutoff - a.first) / DAY_MS),
          avg_order_value: fmt(a.monetary / a.orders),
          inter_purchase_days: a.orders > 1 ? fmt((a.last - a.first) / DAY_MS / (a.orders - 1)) : '',
          spend_trend: Math.abs(trendBase) < 1e-9 ? '0' : fmt(Math.max(-1, Math.min(1, (a.recent - a.earlier) / (Math.abs(a.recent) + Math.abs(a.earlier))))),
          churned: a.futureOrders > 0 ? '0' : '1',
          next_period_spend: fmt(a.futureSpend),
          channel,
        },
      };
    }
  }
}
