// Issue 13, findings 1 and 5: unmodified agents against a hostile coordinator (a raw gRPC server
// sending crafted RoundOpens) and against someone on the path. Members hold their own policy:
// signed rounds only, the pinned task, no plain aggregation without opt-in, their own floors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import {
  commitMessage, signEd25519, DEFAULT_MAX_EXAMPLES, DEFAULT_WEIGHT_CLIP, DEFAULT_WEIGHT_SCALE_BITS, encodeTask, modelSpecOf, parameterCount, resolveTaskDefinition,
  roundVectorLayout, statisticsLengthOf, taskSha256, type TaskDefinitionInput,
} from '@consort/core';
import { MemberAgent, enrollMember, loadIdentity, type MemberAgentOptions } from '@consort/client-sdk';
import { churnTaskSchema, generateConsortium, writeConsortium } from '@consort/simulations';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import { startRawCoordinator, type RawCoordinator, type Received } from '../support/raw-coordinator.ts';

const schema = churnTaskSchema();
const INVITED = 6;

/** The churn task as the coordinator would resolve it from a task file. */
const TASK: TaskDefinitionInput = {
  name: 'churn', label: schema.label, positiveLabel: schema.positiveLabel, numeric: schema.numeric, categorical: schema.vocabularies,
  protected: schema.protected, minMembers: 4, seed: 1,
};

/**
 * A statistics RoundOpen for the churn task (sent whole, with its hash), secure with the
 * parameters core resolves for 6 members.
 */
function roundOpen(roundId: string, overrides: Partial<RoundOpen> = {}, secagg: Partial<NonNullable<RoundOpen['secagg']>> = {}, taskChanges: Partial<TaskDefinitionInput> = {}): RoundOpen {
  const task = resolveTaskDefinition({ ...TASK, ...taskChanges });
  const encoded = encodeTask(task);
  const statisticsLength = statisticsLengthOf(task);
  const layout = roundVectorLayout({
    purpose: 'statistics', task: 'binary', parameterCount: 0, statisticsLength, members: INVITED,
    maxExamples: DEFAULT_MAX_EXAMPLES, weightClip: DEFAULT_WEIGHT_CLIP, weightScaleBits: DEFAULT_WEIGHT_SCALE_BITS,
  });
  return {
    roundId, taskId: 'task-churn', roundNumber: 1, modelVersionId: 'mv-0', modelSha256: Buffer.alloc(32),
    model: { kind: 'logistic', optionsJson: JSON.stringify(modelSpecOf(task)), layout: [], parameterCount: String(parameterCount(modelSpecOf(task))) },
    train: { localEpochs: 1, batchSize: 32, learningRate: 0.1 },
    deadlines: [{ stage: 'masked_input', deadlineUnixMs: String(Date.now() + 60_000) }],
    aggregation: task.aggregation, purpose: 'statistics', pipelineJson: '', seed: 2, payloadJson: '',
    task: Buffer.from(encoded), taskSha256: taskSha256(encoded),
    secagg: {
      threshold: 3, neighbours: 5, minMembers: 4, scaleBits: DEFAULT_WEIGHT_SCALE_BITS, clip: DEFAULT_WEIGHT_CLIP, modulusBits: layout.modulusBits,
      vectorLength: String(layout.length), invitedMembers: INVITED, maxExamples: DEFAULT_MAX_EXAMPLES, ...secagg,
    },
    ...overrides,
  };
}

interface Member {
  agent: MemberAgent;
  memberId: string;
  dataDir: string;
  logs: string[];
  /** Resolves with the first log line matching. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves with the agent's refusal line for a round. */
  refusal(roundId: string): Promise<string>;
}

describe('adversarial: a member holds its own policy against the coordinator', () => {
  let raw: RawCoordinator;
  let dataFile = '';
  const agents: MemberAgent[] = [];

  async function member(options: Partial<MemberAgentOptions> = {}, dataDir = mkdtempSync(join(tmpdir(), 'consort-member-'))): Promise<Member> {
    const identityPath = join(dataDir, 'identity.json');
    const identity = existsSync(identityPath) ? loadIdentity(identityPath) : await enrollMember(raw.address, 'cst_raw', 'Victim', identityPath);
    const logs: string[] = [];
    const waiters: [RegExp, (line: string) => void][] = [];
    const note = (line: string) => {
      logs.push(line);
      for (const [pattern, resolve] of waiters) if (pattern.test(line)) resolve(line);
    };
    const line = (pattern: RegExp) => new Promise<string>((resolve) => {
      const seen = logs.find((l) => pattern.test(l));
      if (seen) resolve(seen);
      else waiters.push([pattern, resolve]);
    });
    const agent = new MemberAgent({ coordinator: raw.address, identity, dataFile, dataDir, logger: { info: note, warn: note }, ...options });
    agents.push(agent);
    await agent.start();
    await raw.connected(identity.memberId!);
    return {
      agent, memberId: identity.memberId!, dataDir, logs, line,
      refusal: (roundId) => line(new RegExp(`round ${roundId} refused`)),
    };
  }

  /** Sends a round and returns what came first: the agent's refusal, or something it sent for the round. */
  async function outcome(m: Member, open: RoundOpen): Promise<{ refused?: string; sent?: Received }> {
    const first = Promise.race([
      m.refusal(open.roundId!).then((refused) => ({ refused })),
      raw.nextFrom(open.roundId!).then((sent) => ({ sent })),
    ]);
    raw.send(m.memberId, { roundOpen: open });
    const result = await first;
    await m.agent.idle();
    return result;
  }

  const sentFor = (roundId: string) => raw.received.filter((r) => r.roundId === roundId);

  beforeAll(async () => {
    raw = await startRawCoordinator();
    const dir = mkdtempSync(join(tmpdir(), 'consort-adversarial-'));
    dataFile = writeConsortium(join(dir, 'data'), generateConsortium({ members: 1, seed: 4, totalCustomers: 400 })).find((f) => f.endsWith('.csv'))!;
  });

  afterAll(async () => {
    for (const a of agents) a.stop();
    await raw?.close();
  });

  it('pins the coordinator key at enrollment, with the identity (owner-only)', async () => {
    const m = await member();
    const path = join(m.dataDir, 'identity.json');
    expect(Buffer.from(loadIdentity(path).coordinatorPublicKey!)).toEqual(Buffer.from(raw.key.publicKey));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('finding 1: a plain RoundOpen from the coordinator gets no upload; the agent logs the refusal', async () => {
    const m = await member();
    const open = raw.signed(roundOpen('plain-1', { secagg: null }, {}, { aggregation: 'plain' }));
    const { refused, sent } = await outcome(m, open);
    expect(sent).toBeUndefined();
    expect(refused).toMatch(/ROUND_POLICY_REFUSED: .*plain aggregation.*--allow-plain/);
    expect(sentFor('plain-1')).toEqual([]);
    expect(m.logs.join('\n')).not.toMatch(/loaded \d+ rows/); // no data was even read
    // Control: a member whose own operator allowed plain rounds does upload: the fake would have seen it.
    const opted = await member({ allowPlain: true });
    const control = await outcome(opted, raw.signed(roundOpen('plain-2', { secagg: null }, {}, { aggregation: 'plain' })));
    expect(control.sent).toMatchObject({ kind: 'upload', detail: expect.stringMatching(/^plain/) as unknown });
  });

  it('finding 1: a secure round changed to plain on the path is refused (signature), and so is a look-alike coordinator', async () => {
    const m = await member({ allowPlain: true });
    const signed = raw.signed(roundOpen('path-1'));
    const downgraded = await outcome(m, { ...signed, aggregation: 'plain', secagg: null });
    expect(downgraded.sent).toBeUndefined();
    expect(downgraded.refused).toMatch(/COORDINATOR_SIGNATURE_INVALID: round path-1 of task task-churn is not signed by the coordinator key pinned at enrollment/);
    const impostor = await outcome(m, raw.signed(roundOpen('path-2'), nacl.sign.keyPair().secretKey));
    expect(impostor.refused).toMatch(/COORDINATOR_SIGNATURE_INVALID/);
    const unsigned = await outcome(m, roundOpen('path-3'));
    expect(unsigned.refused).toMatch(/COORDINATOR_SIGNATURE_INVALID/);
    expect([...sentFor('path-1'), ...sentFor('path-2'), ...sentFor('path-3')]).toEqual([]);
  });

  it('finding 5: minMembers 0 and k = t = 2 are refused before any key is generated; sound parameters are served', async () => {
    const m = await member();
    const weak = await outcome(m, raw.signed(roundOpen('floor-1', {}, { minMembers: 0, neighbours: 2, threshold: 2 })));
    expect(weak.sent).toBeUndefined();
    expect(weak.refused).toMatch(/ROUND_POLICY_REFUSED: .*at least 0 members per round; this member's floor is 4/);
    const sparse = await outcome(m, raw.signed(roundOpen('floor-2', {}, { neighbours: 2, threshold: 2 })));
    expect(sparse.refused).toMatch(/k = 2 neighbours and threshold t = 2 for 6 members; this member computes k = 5, t = 3/);
    expect([...sentFor('floor-1'), ...sentFor('floor-2')]).toEqual([]);
    // Control: the same round with the parameters the member computes gets its advertised keys.
    const sound = await outcome(m, raw.signed(roundOpen('floor-3')));
    expect(sound.sent).toMatchObject({ kind: 'stage', detail: 'keyCommitment' });
  });

  it('finding 1: a later round that changes the pinned task is refused (TASK_MISMATCH), also after the agent restarts', async () => {
    const m = await member();
    const first = await outcome(m, raw.signed(roundOpen('task-1', { taskId: 'task-pinned' })));
    expect(first.sent).toMatchObject({ kind: 'stage', detail: 'keyCommitment' });
    expect(m.logs.join('\n')).toMatch(/agreed to task task-pinned \(pinned, sha256 [0-9a-f]{16}.*protected gender, age_band/);
    const pinFile = join(m.dataDir, 'tasks', 'task-pinned.json');
    expect(statSync(pinFile).mode & 0o777).toBe(0o600);
    // The coordinator moves a protected attribute into the model's inputs and lowers minMembers.
    const changed = roundOpen('task-2', { taskId: 'task-pinned' }, { minMembers: 3 },
      { numeric: [...schema.numeric, 'gender'], protected: ['age_band'], minMembers: 3 });
    const refused = await outcome(m, raw.signed(changed));
    expect(refused.sent).toBeUndefined();
    expect(refused.refused).toMatch(/TASK_MISMATCH: round task-2 differs from task task-pinned.*minMembers: pinned 4, now 3.*protected: pinned \["gender","age_band"\], now \["age_band"\]/);
    // A restarted agent reads the pin from its data folder.
    m.agent.stop();
    const again = await member({}, m.dataDir);
    const afterRestart = await outcome(again, raw.signed({ ...changed, roundId: 'task-3' }));
    expect(afterRestart.refused).toMatch(/TASK_MISMATCH/);
    expect([...sentFor('task-2'), ...sentFor('task-3')]).toEqual([]);
    expect(JSON.parse(readFileSync(pinFile, 'utf8'))).toMatchObject({ taskId: 'task-pinned', version: 2, terms: { task: { minMembers: 4, protected: ['gender', 'age_band'] } } });
  });

  it('finding 5: a key set larger than the announced member count is refused (k and t were derived from n)', async () => {
    const m = await member();
    const open = raw.signed(roundOpen('keys-1', { taskId: 'task-keys' }));
    expect((await outcome(m, open)).sent).toMatchObject({ detail: 'keyCommitment' });
    // The refusal, or whatever else ends this member's part in the round (e.g. a failed signature check).
    const refused = m.line(/round keys-1 (refused|failed)/);
    // Seven entries for a round announced with six members (a coordinator hiding sybils from k and t).
    const keys = Array.from({ length: INVITED + 1 }, (_, i) => ({
      memberId: `m${i}`, keys: { encryptionPublicKey: Buffer.alloc(32, i + 1), maskPublicKey: Buffer.alloc(32, i + 50), signature: Buffer.alloc(64) }, identityPublicKey: Buffer.alloc(32, 9),
    }));
    raw.send(m.memberId, { keySet: { roundId: 'keys-1', keys, graphSeed: Buffer.alloc(32) } });
    expect(await refused).toMatch(/ROUND_POLICY_REFUSED: round keys-1 announced 6 invited members but its key set lists 7/);
    expect(sentFor('keys-1').map((r) => r.detail)).toEqual(['keyCommitment']); // no shares were sent
  });

  it('finding 5: each round the member logs how many members committed and their pseudonyms, and warns when unseen members joined', async () => {
    const m = await member();
    const peers = Array.from({ length: 8 }, (_, i) => ({ id: `peer-${i}`, key: nacl.sign.keyPair() }));
    /** Opens a round, takes the member's real commitment and answers with a commitment set of the member and `others`. */
    const commitRound = async (roundId: string, roundNumber: number, others: typeof peers) => {
      const open = raw.signed(roundOpen(roundId, { taskId: 'task-visible', roundNumber }));
      const first = await outcome(m, open);
      expect(first.sent).toMatchObject({ detail: 'keyCommitment' });
      const mine = first.sent!.submission!.keyCommitment!;
      const commitments = [
        { memberId: m.memberId, commitment: mine, identityPublicKey: Buffer.from(loadIdentity(join(m.dataDir, 'identity.json')).publicKey) },
        ...others.map((p) => {
          const commitment = Buffer.alloc(32, p.id.length);
          return { memberId: p.id, commitment: { commitment, signature: Buffer.from(signEd25519(commitMessage(roundId, p.id, commitment), p.key.secretKey)) }, identityPublicKey: Buffer.from(p.key.publicKey) };
        }),
      ];
      const logged = m.line(new RegExp(`round ${roundNumber} \\(statistics, secure\\): \\d+ members committed`));
      raw.send(m.memberId, { keyCommitmentSet: { roundId, commitments } });
      return logged;
    };
    const r1 = await commitRound('visible-1', 11, peers.slice(0, 5));
    expect(r1).toMatch(/round 11 \(statistics, secure\): 6 members committed to keys \(pseudonyms [0-9a-f]{12}(, [0-9a-f]{12}){5}\)/);
    await m.agent.idle();
    expect(m.logs.filter((l) => /not seen in earlier rounds/.test(l))).toEqual([]);

    // The coordinator mints three members: the member says so.
    const warned = m.line(/round 12 \(statistics, secure\): 3 member\(s\) not seen in earlier rounds joined/);
    await commitRound('visible-2', 12, peers);
    expect(await warned).toMatch(/this member has now seen 9 members, 6 before\. If the federation did not recruit new businesses, ask the operator who they are/);
  });
});
