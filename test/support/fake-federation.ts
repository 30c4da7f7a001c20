// Fake members and a fake collector for unit tests of the round lifecycle and workflows: members
// compute their real contributions from rows in memory; nothing goes over a network and nothing is masked.
import pino from 'pino';
import {
  addInto, localFeatureStats, predictionOf, vocabulariesOf, SeededRandom, packContribution, zeroVector, DEFAULT_MAX_EXAMPLES, DEFAULT_WEIGHT_CLIP, DEFAULT_WEIGHT_SCALE_BITS, SCORE_BINS,
  type FeaturePipeline, type ModVector, type RoundContribution, type RoundPurpose, type ResolvedTask, type SegmentationWorkOrder, type TaskDefinitionInput,
} from '@consort/core';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
// The member-side segmentation work is internal to the agent; the fake members reuse it.
import { segmentationVector } from '../../client-sdk/src/agent/segmentation-work.ts';
import { ActiveRounds, type ActiveRound } from '../../coordinator/src/round/active-round.ts';
import type { Collected, CollectRequest, Collector, CollectorIo } from '../../coordinator/src/round/collector.ts';
import { RoundLifecycle } from '../../coordinator/src/round/lifecycle.ts';
import { RoundInputs } from '../../coordinator/src/round/round-inputs.ts';
import { featureSchemaOf, taskDefinitionOf } from '../../coordinator/src/round/task-codec.ts';
import { TaskStrategies } from '../../coordinator/src/round/task-strategies.ts';
import { MemoryStore } from '../../coordinator/test-support/memory-store.ts';
import { createTask } from '../../coordinator/src/task/task-service.ts';
import type { TaskRecord } from '../../coordinator/src/store/store.ts';

export interface FakeMember {
  id: string;
  records: Record<string, string>[];
}

/** `n` members with `rows` rows each of two numeric features, a 0/1 label and two profile labels. */
export function fakeMembers(n: number, rows: number, seed = 1): FakeMember[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `member-${i + 1}`,
    records: Array.from({ length: rows }, () => {
      const cluster = rng.next() < 0.5 ? 0 : 1;
      const x1 = cluster * 4 + rng.next();
      const x2 = cluster * -3 + rng.next();
      return { x1: x1.toFixed(4), x2: x2.toFixed(4), y: String(cluster), churned: String(cluster), spend: (10 + cluster * 5).toFixed(1) };
    }),
  }));
}

/** A model task over the fake members' columns (plain aggregation unless said otherwise). */
export function fakeModelTask(more: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput {
  return { name: 'fake-model', label: 'y', positiveLabel: ['1'], numeric: ['x1', 'x2'], minMembers: 2, stageTimeoutSeconds: 5, aggregation: 'plain', maxRounds: 2, ...more } as TaskDefinitionInput;
}

/** A segmentation task over the fake members' columns. */
export function fakeSegmentationTask(): TaskDefinitionInput {
  return {
    name: 'fake-segments', kind: 'segmentation', label: '', minMembers: 3, stageTimeoutSeconds: 5, seed: 3,
    segmentation: { features: ['x1', 'x2'], k: 2, restarts: 2, minClusterCount: 5, profileLabels: ['churned', 'spend'] },
  } as TaskDefinitionInput;
}

/** What each fake member sends: its real contribution for the round's purpose. */
function contributionOf(member: FakeMember, purpose: RoundPurpose, def: ResolvedTask, base: Float32Array, index: number): RoundContribution {
  const n = member.records.length;
  const side = { numExamples: n, trainLossSum: 0, evalLossSum: 0, evalAbsErrSum: 0, evalExamples: 0, evalHistPos: [] as number[], evalHistNeg: [] as number[] };
  if (purpose === 'statistics') return { ...side, values: localFeatureStats(featureSchemaOf(def), vocabulariesOf(def), member.records, member.id, predictionOf(def)) };
  // Every row is held out for evaluation: positives score high, negatives low.
  const pos = new Array<number>(SCORE_BINS).fill(0);
  const neg = new Array<number>(SCORE_BINS).fill(0);
  for (const r of member.records) (r.y === '1' ? pos : neg)[r.y === '1' ? SCORE_BINS - 1 : 0] += 1;
  const evaluated = { ...side, evalExamples: n, evalLossSum: 0.25 * n * (index + 1), evalHistPos: pos, evalHistNeg: neg };
  if (purpose === 'evaluate') return { ...evaluated, values: [] };
  return { ...evaluated, trainLossSum: 0.5 * n, values: Array.from(base, (w) => w + 0.01 * (index + 1)) };
}

export interface FakeCollectorBehaviour {
  /** Members that never answer (dropped at the deadline). */
  silent?: Set<string>;
  /** Thrown during collection. */
  fail?: Error;
  /** Runs while the collection waits (e.g. cancel the run). */
  during?: (round: ActiveRound) => Promise<void> | void;
}

/** A collector computing the members' real sum in process; `aggregation` picks plain running sums or a (unmasked) modular sum. */
export class FakeCollector implements Collector {
  calls = 0;
  behaviour: FakeCollectorBehaviour = {};

  constructor(readonly aggregation: 'plain' | 'secure', private readonly members: FakeMember[], private readonly store: MemoryStore) {}

  async collect(round: ActiveRound, req: CollectRequest, io: CollectorIo): Promise<Collected | undefined> {
    this.calls++;
    const b = this.behaviour;
    if (this.aggregation === 'plain') await io.move({ type: 'start_plain' });
    else {
      for (const event of [{ type: 'start_secure' }, { type: 'keys_advertised' }, { type: 'shares_routed' }, { type: 'inputs_closed', secure: true }, { type: 'consistency_checked' }] as const) {
        await io.move(event, Date.now() + req.timeoutMs);
      }
    }
    await b.during?.(round);
    if (b.fail) throw b.fail;
    const answering = this.members.filter((m) => round.participants.has(m.id) && !b.silent?.has(m.id));
    for (const m of round.participants) if (b.silent?.has(m)) io.drop(m, 'no input before the deadline');
    if (answering.length < req.minMembers) return undefined;
    const task = await this.store.getTask(req.open.taskId!);
    const resolved = taskDefinitionOf(task);
    const purpose = round.purpose;
    const survivors = answering.map((m) => m.id);
    if (resolved.kind === 'segmentation' && purpose.startsWith('segmentation-')) {
      // The work order carries the round's shape; its columns come from the task (as on a real member).
      const order = { ...JSON.parse(req.open.payloadJson!), features: resolved.segmentation.features, profileLabels: resolved.segmentation.profileLabels } as SegmentationWorkOrder;
      const sum = zeroVector(req.layout.modulusBits, req.layout.length);
      for (const m of answering) {
        const data = { file: m.id, records: m.records, raw: m.records.map((r) => order.features.map((f) => Number(r[f]))), labels: m.records.map((r) => order.profileLabels.map((l) => Number(r[l]))) };
        addInto(sum, segmentationVector(order, task.pipeline as FeaturePipeline, data, round.participants.size));
      }
      return { aggregation: 'secure', sum, survivors };
    }
    // A statistics round of a segmentation task starts from no model version.
    const base = req.open.modelVersionId ? (await this.store.getModelVersion(req.open.modelVersionId)).weights : new Float32Array(0);
    const contributions = answering.map((m) => contributionOf(m, purpose as RoundPurpose, resolved, base, this.members.indexOf(m)));
    if (this.aggregation === 'plain') {
      const inputs = new RoundInputs(purpose as RoundPurpose, req.plainLength);
      contributions.forEach((c, i) => inputs.add(survivors[i], Float64Array.from(c.values), c));
      return { aggregation: 'plain', totals: inputs.totals(), survivors };
    }
    const v = {
      purpose: purpose as RoundPurpose, task: predictionOf(resolved), parameterCount: base.length, statisticsLength: purpose === 'statistics' ? req.plainLength : 0,
      members: round.participants.size, maxExamples: DEFAULT_MAX_EXAMPLES, weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS,
    };
    let sum: ModVector | undefined;
    for (const c of contributions) {
      const { vector } = packContribution(v, c);
      if (sum) addInto(sum, vector);
      else sum = vector;
    }
    return { aggregation: 'secure', sum: sum!, survivors };
  }

  unblock(): void {}
}

/** Everything a lifecycle or workflow test needs: store, fake members online, fake collectors, the lifecycle. */
export async function fakeFederation(opts: { members?: number; rows?: number; task: TaskDefinitionInput; online?: number }) {
  const store = new MemoryStore();
  const members = fakeMembers(opts.members ?? 3, opts.rows ?? 40);
  const federation = await store.createFederation('fake');
  const { task } = await createTask(store, federation.id, opts.task);
  const sent: { memberId: string; event: CoordinatorEvent }[] = [];
  const online = members.slice(0, opts.online ?? members.length).map((m) => m.id);
  const connections = {
    online: () => [...online],
    send: (memberId: string, event: CoordinatorEvent) => { sent.push({ memberId, event }); return true; },
  };
  const logger = pino({ level: 'silent' });
  const active = new ActiveRounds(logger);
  const collectors = { plain: new FakeCollector('plain', members, store), secure: new FakeCollector('secure', members, store) };
  const lifecycle = new RoundLifecycle({ store, connections, logger, active, collectors });
  const strategies = new TaskStrategies();
  const fresh = (): Promise<TaskRecord> => store.getTask(task.id);
  const auditKinds = async (subjectId?: string) => (await store.listAuditEvents(subjectId ? { subjectId } : {})).map((e) => e.kind);
  return { store, members, task, sent, online, logger, active, collectors, lifecycle, strategies, fresh, auditKinds };
}
