// The chain's hash covers every field of an entry; checkpoints are plain Ed25519 over a documented statement.
import canonicalize from 'canonicalize';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { auditEntryHash, CHECKPOINT_PURPOSE, checkpointSignatureValid, GENESIS_HASH, signCheckpoint, type ChainedFields } from './chain.ts';

const entry: ChainedFields = { seq: 4, prevHash: GENESIS_HASH, at: new Date('2026-12-07T10:00:00.123Z'), kind: 'round.created', subjectType: 'round', subjectId: 'r1', actor: 'coordinator', detail: { participants: ['m1', 'm2'] } };

describe('audit chain', () => {
  it('hashes the canonical JSON of the documented fields; changing any of them changes the hash', () => {
    const h = auditEntryHash(entry);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    // Key order of the detail does not matter (RFC 8785), its content does.
    expect(auditEntryHash({ ...entry, detail: JSON.parse('{"participants":["m1","m2"]}') })).toBe(h);
    const edits: Partial<ChainedFields>[] = [
      { seq: 5 }, { prevHash: '1'.repeat(64) }, { at: new Date('2026-12-07T10:00:00.124Z') }, { kind: 'round.aborted' },
      { subjectType: 'task' }, { subjectId: 'r2' }, { actor: 'operator' }, { detail: { participants: ['m1'] } },
    ];
    for (const e of edits) expect(auditEntryHash({ ...entry, ...e }), JSON.stringify(e)).not.toBe(h);
  });

  it('signs a checkpoint any Ed25519 library verifies (here tweetnacl), and refuses any change', () => {
    const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
    const cp = signCheckpoint({ seq: 10, headHash: 'ab'.repeat(32) }, kp.secretKey, new Date(0));
    expect(cp.publicKey).toBe(Buffer.from(kp.publicKey).toString('base64'));
    const statement = new TextEncoder().encode(canonicalize({ purpose: CHECKPOINT_PURPOSE, seq: 10, headHash: 'ab'.repeat(32) }));
    expect(nacl.sign.detached.verify(statement, new Uint8Array(Buffer.from(cp.signature, 'base64')), kp.publicKey)).toBe(true);
    expect(checkpointSignatureValid(cp, kp.publicKey)).toBe(true);
    expect(checkpointSignatureValid({ ...cp, seq: 11 }, kp.publicKey)).toBe(false);
    expect(checkpointSignatureValid({ ...cp, headHash: 'cd'.repeat(32) }, kp.publicKey)).toBe(false);
    expect(checkpointSignatureValid(cp, nacl.sign.keyPair().publicKey)).toBe(false);
    expect(checkpointSignatureValid({ ...cp, signature: 'AAAA' }, kp.publicKey)).toBe(false);
  });
});
