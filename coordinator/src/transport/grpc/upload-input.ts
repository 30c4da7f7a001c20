// The UploadInput handler: authenticate, then buffer. The first chunk (the header, carrying the
// payload's length and SHA-256) is the signed part, so a stranger or an unexpected member is
// refused before a single payload byte is held, and a transfer slot is only ever taken by a
// member the current stage is waiting for, with the exact length it must send.
import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { InputChunk__Output } from '@consort/protos/types/InputChunk';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { UploadAck } from '@consort/protos/types/UploadAck';
import { ConsortError } from '@consort/core';
import type { Store } from '../../store/store.ts';
import type { RoundRunner } from '../../round/round-runner.ts';
import { authenticateCall, readSignedMetadata } from './call-auth.ts';
import { bodyDigest, messageDigest } from './message-digest.ts';
import type { TransferSlots } from './transfer-slots.ts';

/** Deadlines of one upload: the header, the gap between chunks, the whole transfer. */
export interface UploadDeadlines {
  headerMs: number;
  idleMs: number;
  totalMs: number;
}

export const DEFAULT_UPLOAD_DEADLINES: UploadDeadlines = { headerMs: 10_000, idleMs: 30_000, totalMs: 15 * 60_000 };

export interface UploadInputDeps {
  store: Store;
  rounds: Pick<RoundRunner, 'expectedInputBytes' | 'acceptInput'>;
  slots: TransferSlots;
  path: string;
  deadlines?: UploadDeadlines;
  fail: (err: unknown, where: string, call?: { getPeer(): string }) => grpc.ServiceError;
}

type UploadCall = grpc.ServerReadableStream<InputChunk__Output, UploadAck>;

/** Returns the grpc-js handler; one member uploads at most once at a time. */
export function uploadInputHandler(deps: UploadInputDeps): (call: UploadCall, callback: grpc.sendUnaryData<UploadAck>) => void {
  const uploading = new Set<string>();
  const limits = deps.deadlines ?? DEFAULT_UPLOAD_DEADLINES;

  return (call, callback) => {
    let memberId: string | undefined;
    let header: InputHeader__Output | undefined;
    let buffer: Buffer | undefined;
    let received = 0;
    let ended = false;
    let slot = false;
    let done = false;
    const hash = createHash('sha256');
    const timers: NodeJS.Timeout[] = [];

    const finish = (err: unknown, ack?: UploadAck) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      if (slot) deps.slots.release();
      if (memberId && uploading.has(memberId) && header) uploading.delete(memberId);
      buffer = undefined;
      if (err) callback(deps.fail(err, 'UploadInput', call));
      else callback(null, ack!);
    };
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (ms: number, what: string) => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => finish(new ConsortError('UPDATE_INCOMPLETE', `upload stalled: ${what} within ${ms / 1000} s; send the input again`)), ms);
      timers.push(idle);
    };
    try {
      readSignedMetadata(call.metadata);
    } catch (err) {
      finish(err);
      return;
    }
    armIdle(limits.headerMs, 'no header arrived');
    timers.push(setTimeout(() => finish(new ConsortError('UPDATE_INCOMPLETE', `upload took longer than ${limits.totalMs / 1000} s; send the input again`)), limits.totalMs));
    call.on('cancelled', () => finish(new ConsortError('UPDATE_INCOMPLETE', 'upload cancelled by the member')));

    const complete = () => {
      if (done || !ended || !buffer || !header || !memberId) return;
      if (received !== buffer.byteLength) {
        finish(new ConsortError('UPDATE_INCOMPLETE', `upload of member ${memberId} ended after ${received} of ${buffer.byteLength} bytes`));
        return;
      }
      if (!hash.digest().equals(Buffer.from(header.payloadSha256))) {
        finish(new ConsortError('BAD_SIGNATURE', `the payload of member ${memberId} does not match the SHA-256 it signed; send the input again`));
        return;
      }
      try {
        deps.rounds.acceptInput(memberId, header, buffer);
        finish(null, { accepted: true, detail: `input for round ${header.roundId} accepted` });
      } catch (err) {
        finish(err);
      }
    };

    const admit = async (chunk: InputChunk__Output, h: InputHeader__Output) => {
      const member = await authenticateCall(deps.store, call.metadata, `${deps.path}UploadInput`, bodyDigest([messageDigest(chunk)]));
      if (uploading.has(member.id)) throw new ConsortError('DUPLICATE_SUBMISSION', `member ${member.id} already has an upload in progress`);
      const expected = deps.rounds.expectedInputBytes(member.id, h);
      if (h.payloadSha256.byteLength !== 32) throw new ConsortError('INVALID_ARGUMENT', 'the upload header must carry the payload\'s 32-byte SHA-256');
      memberId = member.id;
      header = h;
      uploading.add(member.id);
      await deps.slots.acquire();
      slot = true;
      if (done) { deps.slots.release(); slot = false; return; }
      buffer = Buffer.allocUnsafe(expected);
      armIdle(limits.idleMs, 'no data arrived');
      call.resume();
      complete();
    };

    call.on('data', (chunk: InputChunk__Output) => {
      if (done) return;
      if (!header && !buffer) {
        if (chunk.part !== 'header' || !chunk.header || memberId !== undefined) {
          finish(new ConsortError('UPDATE_INCOMPLETE', 'upload data arrived before its header; send the signed header first'));
          return;
        }
        // Nothing more is read until the header is authenticated and expected.
        call.pause();
        memberId = '';
        admit(chunk, chunk.header).catch((err) => finish(err));
        return;
      }
      if (chunk.part !== 'data' || !chunk.data || !buffer) {
        finish(new ConsortError('UPDATE_INCOMPLETE', 'upload has two headers; send exactly one header first'));
        return;
      }
      if (received + chunk.data.byteLength > buffer.byteLength) {
        finish(new ConsortError('UPDATE_SHAPE_MISMATCH', `upload carries more than the ${buffer.byteLength} bytes its header announced`));
        return;
      }
      chunk.data.copy(buffer, received);
      hash.update(chunk.data);
      received += chunk.data.byteLength;
      armIdle(limits.idleMs, 'no data arrived');
    });
    call.on('end', () => {
      ended = true;
      if (!header && !done && memberId === undefined) finish(new ConsortError('UPDATE_INCOMPLETE', 'upload has no header'));
      else complete();
    });
  };
}
