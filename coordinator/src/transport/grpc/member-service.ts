// Thin gRPC handlers of consort.v1.MemberService: authenticate, translate, call the domain.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CHUNK_BYTES, type MemberServiceHandlers } from '@consort/protos';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { InputChunk__Output } from '@consort/protos/types/InputChunk';
import type { InputHeader__Output } from '@consort/protos/types/InputHeader';
import type { UploadAck } from '@consort/protos/types/UploadAck';
import { ConsortError } from '@consort/core';
import type { Store } from '../../store/store.ts';
import type { MemberConnections } from '../../members/connections.ts';
import type { RoundRunner } from '../../round/round-runner.ts';
import { enrollMember } from '../../federation/enrollment.ts';
import { toGrpcError } from '../../errors/error-catalog.ts';
import { authenticateCall, readSignedMetadata } from './call-auth.ts';
import { bodyDigest, messageDigest } from './message-digest.ts';
import { TransferSlots } from './transfer-slots.ts';
import { ModelCache } from './model-cache.ts';
import { ModelFileCache } from '../../models/member-model-file.ts';
import { writeModelFile } from './model-file-stream.ts';

const PATH = '/consort.v1.MemberService/';
/** Largest input a member may announce (a float32 model of 256M parameters). */
const MAX_INPUT_BYTES = 1 << 30;
const HEARTBEAT_MS = 15_000;
/** Uploads buffered at once (each held whole until its signature over all chunks verifies). */
const UPLOAD_SLOTS = 8;
/** Model downloads served at once (each buffers up to min(model, 16 MiB) in its stream). */
const DOWNLOAD_SLOTS = 8;

export interface MemberServiceDeps {
  store: Store;
  connections: MemberConnections<CoordinatorEvent>;
  rounds: RoundRunner;
  logger: Logger;
}

export function memberServiceHandlers(deps: MemberServiceDeps): MemberServiceHandlers {
  const { store, connections, rounds, logger } = deps;
  const uploadSlots = new TransferSlots(UPLOAD_SLOTS);
  const downloadSlots = new TransferSlots(DOWNLOAD_SLOTS);
  const models = new ModelCache(store);
  const modelFiles = new ModelFileCache(store);

  // Streams report errors by emitting 'error' (grpc-js then sends the status); destroy() would not.
  function fail(err: unknown, where: string): grpc.ServiceError {
    const e = toGrpcError(err);
    if (e.code === 13) logger.error({ err, where }, 'unexpected error');
    else logger.info({ where, code: e.details.split(':')[0] }, 'request refused');
    return Object.assign(new Error(e.details), { code: e.code, details: e.details, metadata: undefined as never });
  }

  return {
    Enroll(call, callback) {
      const r = call.request;
      enrollMember(store, {
        token: r.enrollmentToken, identityPublicKey: r.identityPublicKey, displayName: r.displayName, proofOfPossession: r.proofOfPossession,
      }).then(async (member) => {
        const federation = await store.getFederation(member.federationId);
        callback(null, { memberId: member.id, federationId: federation.id, federationName: federation.name });
      }, (err) => callback(fail(err, 'Enroll')));
    },

    Connect(call) {
      authenticateCall(store, call.metadata, `${PATH}Connect`, bodyDigest([messageDigest(call.request)])).then(async (member) => {
        const sink = { write: (e: CoordinatorEvent) => call.write(e), end: () => call.end() };
        connections.attach(member.id, member.federationId, call.request.backend || 'unknown', sink);
        await store.touchMember(member.id, { lastSeenAt: new Date(), backend: call.request.backend || undefined });
        logger.info({ member: member.id, backend: call.request.backend }, 'member connected');
        const heartbeat = setInterval(() => call.write({ heartbeat: { unixMs: String(Date.now()) } }), HEARTBEAT_MS);
        const gone = () => {
          clearInterval(heartbeat);
          connections.detach(member.id, sink);
        };
        call.on('cancelled', gone);
        call.on('close', gone);
        call.on('error', gone);
        call.write({ heartbeat: { unixMs: String(Date.now()) } });
      }, (err) => call.emit('error', fail(err, 'Connect')));
    },

    DownloadModel(call) {
      authenticateCall(store, call.metadata, `${PATH}DownloadModel`, bodyDigest([messageDigest(call.request)])).then(async (member) => {
        const mv = await models.get(call.request.modelVersionId);
        if (mv.federationId !== member.federationId) {
          throw new ConsortError('NOT_FOUND', `model version ${call.request.modelVersionId} does not exist in member ${member.id}'s federation`);
        }
        const bytes = mv.bytes;
        await downloadSlots.acquire();
        let released = false;
        const release = () => { if (!released) { released = true; downloadSlots.release(); } };
        call.once('cancelled', release);
        call.once('finish', release);
        call.once('error', release);
        try {
          call.write({ header: { modelVersionId: mv.id, byteLength: String(bytes.byteLength), sha256: Buffer.from(mv.sha256, 'hex'), model: undefined } });
          for (let off = 0; off < bytes.byteLength; off += CHUNK_BYTES) {
            if (released) return; // cancelled by the member
            // Respect back-pressure so a large model does not pile up in memory per member.
            if (!call.write({ data: bytes.subarray(off, off + CHUNK_BYTES) })) {
              await new Promise((r) => { call.once('drain', r); call.once('cancelled', r); });
            }
          }
          call.end();
        } catch (err) {
          release();
          throw err;
        }
      }).catch((err) => call.emit('error', fail(err, 'DownloadModel')));
    },

    UploadInput(call, callback) {
      let header: InputHeader__Output | undefined;
      let buffer: Buffer | undefined;
      let received = 0;
      let failed: unknown;
      const digests: Uint8Array[] = [];
      try {
        readSignedMetadata(call.metadata);
      } catch (err) {
        callback(fail(err, 'UploadInput'));
        return;
      }
      // Hold the stream until a buffering slot is free (memory bounded whatever the member count).
      call.pause();
      let cancelled = false;
      let released = false;
      const release = () => { if (!released) { released = true; uploadSlots.release(); } };
      call.on('cancelled', () => { cancelled = true; release(); });
      call.on('error', release);
      void uploadSlots.acquire().then(() => {
        if (cancelled) release();
        else call.resume();
      });
      call.on('data', (chunk: InputChunk__Output) => {
        if (failed) return;
        digests.push(messageDigest(chunk));
        try {
          if (chunk.part === 'header' && chunk.header) {
            if (header) throw new ConsortError('UPDATE_INCOMPLETE', 'upload has two headers; send exactly one header first');
            header = chunk.header;
            const total = Number(header.byteLength);
            if (!Number.isSafeInteger(total) || total < 0 || total > MAX_INPUT_BYTES) {
              throw new ConsortError('INVALID_ARGUMENT', `upload announces ${header.byteLength} bytes; it must be between 0 and ${MAX_INPUT_BYTES}`);
            }
            buffer = Buffer.allocUnsafe(total);
          } else if (chunk.part === 'data' && chunk.data) {
            if (!header || !buffer) throw new ConsortError('UPDATE_INCOMPLETE', 'upload data arrived before its header; send the header first');
            if (received + chunk.data.byteLength > buffer.byteLength) {
              throw new ConsortError('UPDATE_SHAPE_MISMATCH', `upload carries more than the ${buffer.byteLength} bytes its header announced`);
            }
            chunk.data.copy(buffer, received);
            received += chunk.data.byteLength;
          }
        } catch (err) {
          failed = err;
        }
      });
      call.on('end', () => {
        authenticateCall(store, call.metadata, `${PATH}UploadInput`, bodyDigest(digests)).finally(release).then((member) => {
          if (failed) throw failed;
          if (!header || !buffer) throw new ConsortError('UPDATE_INCOMPLETE', `upload of member ${member.id} has no header`);
          if (received !== buffer.byteLength) {
            throw new ConsortError('UPDATE_INCOMPLETE', `upload of member ${member.id} ended after ${received} of ${buffer.byteLength} bytes`);
          }
          rounds.acceptInput(member.id, header, buffer);
          const ack: UploadAck = { accepted: true, detail: `input for round ${header.roundId} accepted` };
          callback(null, ack);
        }).catch((err) => callback(fail(err, 'UploadInput')));
      });
    },

    SubmitStage(call, callback) {
      authenticateCall(store, call.metadata, `${PATH}SubmitStage`, bodyDigest([messageDigest(call.request)])).then((member) => {
        rounds.acceptStage(member.id, call.request);
        callback(null, { accepted: true, detail: `${call.request.stage} accepted for round ${call.request.roundId}` });
      }).catch((err) => callback(fail(err, 'SubmitStage')));
    },

    FetchModelFile(call) {
      authenticateCall(store, call.metadata, `${PATH}FetchModelFile`, bodyDigest([messageDigest(call.request)])).then(async (member) => {
        const r = call.request;
        // Scoped to the member's federation: another federation's task answers NOT_FOUND, like a missing one.
        const built = await modelFiles.get({ taskId: r.taskId, version: r.version, modelVersionId: r.modelVersionId, federationId: member.federationId });
        await downloadSlots.acquire();
        try {
          await writeModelFile(call, built);
        } finally {
          downloadSlots.release();
        }
      }).catch((err) => call.emit('error', fail(err, 'FetchModelFile')));
    },
  };
}
