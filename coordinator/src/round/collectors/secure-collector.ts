// Secure collection: advertise_keys -> share_keys -> masked_input -> consistency_check -> unmask,
// driven by SecureRound for any packed layout; hands back only the unmasked sum.
import { resolveSecAggParams, type SecAggParams } from '@consort/core';
import type { SecAggParams as SecAggParamsMessage } from '@consort/protos/types/SecAggParams';
import { enrolledMember } from '../../members/member-auth.ts';
import { SecureRound } from '../../secagg/secure-round.ts';
import type { ActiveRound } from '../active-round.ts';
import type { Collected, CollectRequest, Collector, CollectorIo } from '../collector.ts';

export const secureCollector: Collector = {
  aggregation: 'secure',

  async collect(round: ActiveRound, req: CollectRequest, io: CollectorIo): Promise<Collected> {
    const params = resolveSecAggParams({
      roundId: round.id, vectorLength: req.layout.length, modulusBits: req.layout.modulusBits, minMembers: req.minMembers,
      dropoutTolerance: req.dropoutTolerance,
    }, round.participants.size);
    const identities = new Map<string, Uint8Array>();
    // Enrolled identities never change: the authentication cache has every member that connected.
    for (const m of round.participants) identities.set(m, (await enrolledMember(io.store, m))!.identityPublicKey);
    const driver = new SecureRound({
      params, identities, participants: [...round.participants], stageTimeoutMs: req.timeoutMs,
      send: (m, e) => io.send(m, e),
      advance: (event, deadline) => io.move(event, deadline),
      onDrop: (m, reason) => io.drop(m, reason),
      audit: (kind, detail) => { void io.audit(kind, detail).catch(() => undefined); },
    });
    round.secure = driver;
    await io.move({ type: 'start_secure' }, Date.now() + req.timeoutMs);
    await io.store.updateRound(round.id, round.state, { secagg: { ...params } });
    const open = {
      ...req.open,
      aggregation: 'secure',
      secagg: secaggParamsMessage(params, { ...req.quantization, members: round.participants.size }),
    };
    for (const m of round.participants) {
      if (!io.send(m, { roundOpen: open })) driver.memberGone(m);
    }
    const result = await driver.run();
    return { aggregation: 'secure', sum: result.sum, survivors: result.survivors };
  },

  unblock(): void {
    // The lifecycle's abort stops the secure session; nothing waits on members here.
  },
};

function secaggParamsMessage(p: SecAggParams, q: { scaleBits: number; clip: number; maxExamples: number; members: number }): SecAggParamsMessage {
  return {
    threshold: p.threshold, neighbours: p.neighbours, minMembers: p.minMembers, scaleBits: q.scaleBits, clip: q.clip,
    modulusBits: p.modulusBits, vectorLength: String(p.vectorLength), invitedMembers: q.members, maxExamples: q.maxExamples,
  };
}
