// Plain (debug opt-out) collection: open -> masked_input with inputs in clear, summed as they arrive.
// The lifecycle closes the input stage (masked_input -> aggregated) atomically with what the round stores.
import type { ActiveRound } from '../active-round.ts';
import { settleIfComplete } from '../active-round.ts';
import type { Collected, CollectRequest, Collector, CollectorIo } from '../collector.ts';
import { RoundInputs, type Purpose } from '../round-inputs.ts';

export const plainCollector: Collector = {
  aggregation: 'plain',

  async collect(round: ActiveRound, req: CollectRequest, io: CollectorIo): Promise<Collected | undefined> {
    let settle!: () => void;
    const settled = new Promise<void>((r) => { settle = r; });
    round.plain = { inputs: new RoundInputs(round.purpose as Purpose, req.plainLength), submitted: new Set(), settle, nonFinite: [] };
    await io.move({ type: 'start_plain' });
    for (const m of round.participants) {
      if (!io.send(m, { roundOpen: req.open })) io.drop(m, 'not connected when the round opened');
    }
    settleIfComplete(round);
    const timer = setTimeout(settle, req.timeoutMs);
    await settled;
    clearTimeout(timer);
    for (const m of round.participants) {
      if (!round.plain.submitted.has(m) && !round.dropped.has(m)) io.drop(m, round.cutShort ?? `no input before the ${req.timeoutMs / 1000}s deadline`);
    }
    if (round.plain.submitted.size < req.minMembers) return undefined;
    return { aggregation: 'plain', totals: round.plain.inputs.totals(), survivors: [...round.plain.submitted] };
  },

  unblock(round: ActiveRound): void {
    round.plain?.settle();
  },
};
