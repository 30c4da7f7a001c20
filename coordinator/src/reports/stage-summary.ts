// One line for where a secure round's time went, shared by the rounds report and the operator CLI.
import { SECAGG_WORKING_STAGES, type SecAggWorkingStage } from '@consort/core';

/** The short names operators read for the secure-aggregation stages. */
const STAGE_LABEL: Record<SecAggWorkingStage, string> = {
  advertise_keys: 'keys', share_keys: 'shares', masked_input: 'input', consistency_check: 'check', unmask: 'unmask',
};

/**
 * "keys 0.21 · shares 0.58 · input 2.60 · check 0.15 · unmask 0.30" from a round's stageSeconds
 * (seconds each stage waited for its members), or undefined for a round without them (plain).
 */
export function formatStageSeconds(stageSeconds: unknown): string | undefined {
  if (!stageSeconds || typeof stageSeconds !== 'object') return undefined;
  const s = stageSeconds as Record<string, unknown>;
  const parts = SECAGG_WORKING_STAGES.filter((k) => typeof s[k] === 'number').map((k) => `${STAGE_LABEL[k]} ${(s[k] as number).toFixed(2)}`);
  return parts.length ? parts.join(' · ') : undefined;
}
