// The coordinator's signature on RoundOpen: canonical bytes of every field, signed with its key.
// Members pin the coordinator's key at enrollment and refuse any round it did not sign, so neither
// someone on the path nor a look-alike server can change what a round asks of them.
import { sign, verify } from '../crypto/ed25519.ts';
import { sha256, signedBytes } from './request-signing.ts';

const DOMAIN = 'consort.v1/round-open';

type Bytes = Uint8Array | string | null | undefined;
type Num = number | string | { toString(): string } | null | undefined;

/**
 * The fields of a RoundOpen, as the coordinator builds it (input types) or as a member decodes it
 * (output types, defaults filled in). Every field of the message but the signature is signed.
 */
export interface RoundOpenFields {
  roundId?: string;
  taskId?: string;
  roundNumber?: number;
  modelVersionId?: string;
  modelSha256?: Bytes;
  model?: { kind?: string; optionsJson?: string; layout?: { name?: string; shape?: number[] }[]; parameterCount?: Num } | null;
  train?: { localEpochs?: number; batchSize?: number; learningRate?: Num; proximalMu?: Num; dpClipNorm?: Num } | null;
  deadlines?: { stage?: string; deadlineUnixMs?: Num }[];
  aggregation?: string;
  secagg?: {
    threshold?: number; neighbours?: number; minMembers?: number; scaleBits?: number; clip?: Num; modulusBits?: number;
    vectorLength?: Num; graphSeed?: Bytes; invitedMembers?: number; maxExamples?: Num;
  } | null;
  pipelineJson?: string;
  purpose?: string;
  seed?: number;
  payloadJson?: string;
  coordinatorSignature?: Bytes;
  task?: Bytes;
  taskSha256?: string;
}

/** Names of the RoundOpen fields the signature covers (a test checks this against the .proto). */
export const SIGNED_ROUND_OPEN_FIELDS = [
  'roundId', 'taskId', 'roundNumber', 'modelVersionId', 'modelSha256', 'model', 'train', 'deadlines', 'aggregation',
  'secagg', 'pipelineJson', 'purpose', 'seed', 'payloadJson', 'task', 'taskSha256',
] as const;

// Proto3 sends no default values: an absent field and its default must encode alike.
const str = (v: string | undefined): string => v ?? '';
const num = (v: Num): number => Number(v ?? 0);
// 64-bit integers travel as decimal strings (loader option longs: String).
const int64 = (v: Num): string => (v === null || v === undefined ? '0' : v.toString());
const hex = (v: Bytes): string => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v ?? new Uint8Array(0))).toString('hex');

/**
 * The canonical bytes of a RoundOpen: a fixed-order JSON array of every signed field (absent
 * messages as null, defaults spelled out), length-prefixed behind a domain tag. Both sides build
 * it from decoded values, so the bytes do not depend on how a protobuf encoder orders the wire.
 */
export function roundOpenSigningBytes(o: RoundOpenFields): Uint8Array {
  const m = o.model;
  const t = o.train;
  const s = o.secagg;
  const fields = [
    str(o.roundId), str(o.taskId), num(o.roundNumber), str(o.modelVersionId), hex(o.modelSha256),
    m ? [str(m.kind), str(m.optionsJson), (m.layout ?? []).map((l) => [str(l.name), (l.shape ?? []).map(num)]), int64(m.parameterCount)] : null,
    // dpClipNorm (adaptive clipping) is signed when set; absent, the bytes are those of before it existed.
    t ? [num(t.localEpochs), num(t.batchSize), num(t.learningRate), num(t.proximalMu), ...(Number(t.dpClipNorm ?? 0) ? [num(t.dpClipNorm)] : [])] : null,
    (o.deadlines ?? []).map((d) => [str(d.stage), int64(d.deadlineUnixMs)]),
    str(o.aggregation),
    s ? [num(s.threshold), num(s.neighbours), num(s.minMembers), num(s.scaleBits), num(s.clip), num(s.modulusBits),
      int64(s.vectorLength), hex(s.graphSeed), num(s.invitedMembers), num(s.maxExamples)] : null,
    str(o.pipelineJson), str(o.purpose), num(o.seed), str(o.payloadJson), hex(o.task), str(o.taskSha256),
  ];
  return signedBytes([DOMAIN, JSON.stringify(fields)]);
}

/** First 128 bits of the key's SHA-256 in hex groups: what an operator publishes and a member compares. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey)).toString('hex').slice(0, 32).replace(/(.{4})(?!$)/g, '$1:');
}

/** The coordinator's Ed25519 signature over a RoundOpen (tweetnacl 64-byte secret key). */
export function signRoundOpen(open: RoundOpenFields, coordinatorSecretKey: Uint8Array): Uint8Array {
  return sign(roundOpenSigningBytes(open), coordinatorSecretKey);
}

/** True when `open.coordinatorSignature` is the given coordinator key's signature over the round. */
export function verifyRoundOpen(open: RoundOpenFields, coordinatorPublicKey: Uint8Array): boolean {
  const sig = open.coordinatorSignature;
  if (!sig || typeof sig === 'string') return false;
  return verify(roundOpenSigningBytes(open), new Uint8Array(sig), coordinatorPublicKey);
}
