// Which answered API requests go into the audit log: every change, every refusal and error, and a
// successful read once per account, route and path per window. A dashboard polls a few reads a
// minute; recording each would fill the tamper-evident log with thousands of identical entries a
// day and bury what an auditor looks for. The record that ends a quiet spell says how many
// identical reads it stands for.

/** Default window: one record per account, route and path every 10 minutes for repeated reads. */
export const READ_RECORD_WINDOW_MS = 10 * 60_000;

export class ReadRecordThrottle {
  private readonly last = new Map<string, { at: number; skipped: number }>();

  constructor(private readonly windowMs = READ_RECORD_WINDOW_MS, private readonly maxKeys = 10_000) {}

  /**
   * Whether to record this answered request; when yes, how many identical reads since the previous
   * record were left out. Non-GET requests and answers other than 2xx are always recorded.
   */
  decide(o: { actor: string; routeId: string; method: string; path: string; status: number; now: number }): { record: boolean; skipped: number } {
    if (o.method !== 'GET' || o.status < 200 || o.status >= 300) return { record: true, skipped: 0 };
    const key = `${o.actor}\u0000${o.routeId}\u0000${o.path}`;
    const seen = this.last.get(key);
    if (seen && o.now - seen.at < this.windowMs) {
      seen.skipped++;
      return { record: false, skipped: 0 };
    }
    // Bounded memory: forgetting an entry only means one more record.
    if (!seen && this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    this.last.set(key, { at: o.now, skipped: 0 });
    return { record: true, skipped: seen?.skipped ?? 0 };
  }
}
