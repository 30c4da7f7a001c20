// The coordinator's side of a task's privacy budget: the ledger replayed from the audit log, the
// refusal before a round that could pass the budget, and the charge of what a round released.
import {
  ConsortError, PrivacyLedger, auditCharge, auditNoiseMultiplierOf, evaluationCharge, statisticsCharge, trainingRoundCharges, type PrivacyCharge, type PrivacyOptions, type TaskDefinition,
} from '@consort/core';

/** What the budget reads of a task's privacy, model or segmentation (the accountant needs no more). */
export type BudgetTerms = Pick<PrivacyOptions, 'epsilon' | 'delta' | 'level'>;
import type { Store } from '../store/store.ts';

/** Audit event kind of one round's charges (append-only: the ledger is replayed from these). */
export const PRIVACY_CHARGED = 'privacy.charged';

/** What the operator sees of a task's budget after a round (round metrics, model version metrics, reports). */
export interface PrivacyStatus {
  /** ε spent so far by the task for each customer (every release), at `delta`. */
  epsilon: number;
  /** ε for each member as a whole (member-level training releases only); 0 at customer level. */
  memberEpsilon: number;
  delta: number;
  budgetEpsilon: number;
  level: PrivacyOptions['level'];
}

/** A training run's hold on the ledger: `refused` turns true when a round was refused for budget. */
export interface RoundPrivacy {
  ledger: PrivacyLedger;
  refused: boolean;
  /** The run ends with the audit of its final version: each training round leaves room for the audit's worst case. */
  reserveAudit?: boolean;
}

/** The task's ledger, replayed from its `privacy.charged` audit events. */
export async function loadLedger(store: Pick<Store, 'listAuditEvents'>, taskId: string, privacy: BudgetTerms): Promise<PrivacyLedger> {
  const events = await store.listAuditEvents({ subjectId: taskId, kind: PRIVACY_CHARGED });
  const charges = events.flatMap((e) => (e.detail as { charges?: PrivacyCharge[] }).charges ?? []);
  return PrivacyLedger.fromCharges({ epsilon: privacy.epsilon, delta: privacy.delta }, charges);
}

export function statusOf(ledger: PrivacyLedger, privacy: BudgetTerms): PrivacyStatus {
  const spent = ledger.spent();
  return { epsilon: spent.customer.epsilon, memberEpsilon: spent.member.epsilon, delta: privacy.delta, budgetEpsilon: privacy.epsilon, level: privacy.level };
}

/** Facts about a round as the accountant needs them. */
export interface RoundReleaseFacts {
  purpose: 'train' | 'evaluate' | 'statistics';
  round: number;
  modelVersion?: number;
  /** Members invited, and members whose input is in the sum. */
  invited: number;
  survivors: number;
}

/**
 * The charges of a round that released `facts` under the task's privacy. In a plain round the
 * coordinator sees each member's input alone, so each member adds the full noise (invited = 1
 * on the member) and dropouts do not matter; in a secure round only the sum is seen and it holds
 * the survivors' shares.
 */
export function roundCharges(def: TaskDefinition, privacy: PrivacyOptions, f: RoundReleaseFacts): PrivacyCharge[] {
  const shares = def.aggregation === 'secure' ? f : { ...f, invited: 1, survivors: 1 };
  if (f.purpose === 'statistics') return statisticsCharge(privacy, f.round, shares.survivors, shares.invited);
  const evaluation = evaluationCharge(privacy, f.round, shares.survivors, shares.invited, f.modelVersion);
  if (f.purpose === 'evaluate') return evaluation;
  const memberSamplingRate = def.sampleFraction < 1 ? def.sampleFraction : 1;
  return [...trainingRoundCharges(privacy, { ...shares, round: f.round, modelVersion: f.modelVersion, train: def.train, memberSamplingRate }), ...evaluation];
}

/**
 * The most a round of `invited` members can cost: a member's noise share is in the sum only if
 * its input is, and a round completes with as few as minMembers survivors.
 */
export function worstCaseCharges(def: TaskDefinition, privacy: PrivacyOptions, purpose: RoundReleaseFacts['purpose'], round: number, invited: number): PrivacyCharge[] {
  return roundCharges(def, privacy, { purpose, round, invited, survivors: Math.min(invited, def.minMembers) });
}

/** What a planned run releases besides its training rounds. */
export interface PlannedRunExtras {
  /** The pipeline is still to be fitted: the (noisy) statistics round comes first. */
  withStatistics?: boolean;
  /** The run's final version gets its fairness audit (the task has `audit:` or the run a policy). */
  withAudit?: boolean;
}

/**
 * Refuses (PRIVACY_BUDGET_EXHAUSTED) a task whose planned run cannot fit its budget: the noisy
 * statistics round when the pipeline is still to be fitted, `rounds` training rounds (each also
 * evaluating the model it starts from), the final evaluation and, with `withAudit`, the audit of
 * the final version, every invited member surviving. Dropouts cost more (less noise in the sum),
 * so training may stop earlier than planned (checkRoundFits refuses each round at its worst case)
 * and the audit may then be refused (checkAuditFits). Returns the planned ε.
 */
export function checkPlannedRun(def: TaskDefinition, privacy: PrivacyOptions, ledger: PrivacyLedger, rounds: number, extras: PlannedRunExtras = {}): number {
  const full = (purpose: RoundReleaseFacts['purpose'], round: number) => roundCharges(def, privacy, { purpose, round, invited: 1, survivors: 1 });
  const perRound = full('train', 0);
  // A run that still has to fit its pipeline also releases the (noisy) statistics first; an audited run ends with the audit.
  const fixed: PrivacyCharge[] = [
    ...(extras.withStatistics ? full('statistics', 0) : []),
    ...(extras.withAudit ? auditCharge(auditNoiseMultiplierOf(privacy), rounds + 1, 1, 1) : []),
  ];
  const plan: PrivacyCharge[] = [...fixed];
  for (let r = 0; r < rounds; r++) plan.push(...perRound);
  plan.push(...full('evaluate', rounds));
  const planned = ledger.epsilonAfter(plan);
  if (planned > privacy.epsilon) {
    let fit = 0;
    const probe: PrivacyCharge[] = [...fixed, ...full('evaluate', 0)];
    while (fit < rounds && ledger.epsilonAfter([...probe, ...perRound]) <= privacy.epsilon) { probe.push(...perRound); fit++; }
    throw new ConsortError('PRIVACY_BUDGET_EXHAUSTED',
      `task "${def.name}" would spend ε=${planned.toFixed(3)} (δ=${privacy.delta}) in ${rounds} training round${rounds === 1 ? "" : "s"}`
      + `${extras.withAudit ? ' and the audit of the final version' : ''}, beyond its budget ε=${privacy.epsilon}`
      + (ledger.charges.length ? ` (ε=${ledger.spent().customer.epsilon.toFixed(3)} already spent)` : '')
      + (fit > 0
        ? `; ${fit} rounds fit: lower maxRounds (or --rounds) to ${fit} for this run; the privacy settings are pinned with the task, so for more rounds define a new task with a larger privacy.noiseMultiplier or a larger budget (privacy.epsilon)`
        : '; not even one round fits. The privacy settings are pinned with the task: define a new task with a larger privacy.noiseMultiplier (or releaseNoiseMultiplier) or a larger budget (privacy.epsilon)'),
      { plannedEpsilon: planned, budgetEpsilon: privacy.epsilon, roundsThatFit: fit });
  }
  return planned;
}

/**
 * Refuses a round that could take the task past its budget, before any member is told of it. With
 * `reserveAudit` (a training or evaluation round of a run that ends with an audit) the round must also leave room
 * for the audit's worst case at the same member count, so dropouts stop training rather than leave
 * the final version unaudited.
 */
export function checkRoundFits(def: TaskDefinition, privacy: PrivacyOptions, ledger: PrivacyLedger, purpose: RoundReleaseFacts['purpose'], round: number, invited: number,
  reserveAudit = false): void {
  const worst = worstCaseCharges(def, privacy, purpose, round, invited);
  const reserve = reserveAudit && worst.length > 0 && purpose !== 'statistics' ? auditCharge(auditNoiseMultiplierOf(privacy), round, Math.min(invited, def.minMembers), invited) : [];
  checkChargesFit(def.name, privacy, ledger, purpose, worst, reserve);
}

/** Refuses (PRIVACY_BUDGET_EXHAUSTED) a round whose worst-case charges (plus what it must leave room for) could take the task past its budget. */
export function checkChargesFit(taskName: string, privacy: BudgetTerms, ledger: PrivacyLedger, purpose: string, worst: PrivacyCharge[], reserve: PrivacyCharge[] = []): void {
  if (worst.length === 0) return;
  if (ledger.wouldExceed([...worst, ...reserve])) {
    const now = ledger.spent().customer.epsilon;
    throw new ConsortError('PRIVACY_BUDGET_EXHAUSTED',
      `task "${taskName}" has spent ε=${now.toFixed(3)} of its budget ε=${privacy.epsilon} (δ=${privacy.delta}); this ${purpose} round could bring it to ε=${ledger.epsilonAfter(worst).toFixed(3)}`
      + `${reserve.length ? ` (ε=${ledger.epsilonAfter([...worst, ...reserve]).toFixed(3)} with the final version's audit it must leave room for)` : ''}, so it was not opened. `
      + 'The last published model stands; define a new task to train further',
      { spentEpsilon: now, budgetEpsilon: privacy.epsilon });
  }
}

/**
 * Refuses (PRIVACY_BUDGET_EXHAUSTED) an audit of a DP task whose worst case — only minMembers of
 * `invited` members survive, so the least noise in the sum — could take the task past its budget.
 * Called before the audit round is created: no member hears of it and the version stays unaudited.
 */
export function checkAuditFits(def: TaskDefinition, privacy: PrivacyOptions, ledger: PrivacyLedger, invited: number, modelVersion: number): void {
  const worst = auditCharge(auditNoiseMultiplierOf(privacy), 0, Math.min(invited, def.minMembers), invited, modelVersion);
  if (!ledger.wouldExceed(worst)) return;
  const now = ledger.spent().customer.epsilon;
  throw new ConsortError('PRIVACY_BUDGET_EXHAUSTED',
    `task "${def.name}" has spent ε=${now.toFixed(3)} of its budget ε=${privacy.epsilon} (δ=${privacy.delta}); the audit of model version ${modelVersion} `
    + `(privacy.auditNoiseMultiplier ${auditNoiseMultiplierOf(privacy)}, ${invited} members, as few as ${Math.min(invited, def.minMembers)} surviving) could bring it to ε=${ledger.epsilonAfter(worst).toFixed(3)}, so no audit round was opened and model version ${modelVersion} stays unaudited. `
    + 'The task\'s privacy settings are pinned; to get an audited model, define a new task with a larger budget (privacy.epsilon), a larger privacy.auditNoiseMultiplier or fewer training rounds '
    + '(a run of a task with audit: keeps the audit in its plan), and train it',
    { spentEpsilon: now, wouldBe: ledger.epsilonAfter(worst), budgetEpsilon: privacy.epsilon, modelVersion });
}

/**
 * Records a released round's charges in the ledger and the audit log. Called once the sum is
 * known, whatever happens next: a released sum is spent budget even if the round is then rejected.
 */
export async function chargeRound(store: Pick<Store, 'appendAuditEvent'>, taskId: string, ledger: PrivacyLedger, charges: PrivacyCharge[],
  privacy: BudgetTerms): Promise<PrivacyStatus> {
  if (charges.length > 0) {
    ledger.recordReleased(charges);
    const status = statusOf(ledger, privacy);
    await store.appendAuditEvent({ actor: 'coordinator', kind: PRIVACY_CHARGED, subjectType: 'task', subjectId: taskId, detail: { charges, ...status } as never });
    return status;
  }
  return statusOf(ledger, privacy);
}
