// Thin gRPC handlers of consort.v1.MemberService: authenticate, translate, call the domain.
import type { Logger } from 'pino';
import { CHUNK_BYTES, type MemberServiceHandlers } from '@consort/protos';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import { ConsortError } from '@consort/core';
import type { Store } from '../../store/store.ts';
import type { MemberConnections } from '../../members/connections.ts';
import type { RoundRunner } from '../../round/round-runner.ts';
import { enrollMember } from '../../federation/enrollment.ts';
import { grpcFailure } from './grpc-failure.ts';
import { authenticateCall } from './call-auth.ts';
import { uploadInputHandler, type UploadDeadlines } from './upload-input.ts';
import { bodyDigest, messageDigest } from './message-digest.ts';
import { TransferSlots } from './transfer-slots.ts';
import type { CoordinatorKey } from '../../signing/coordinator-key.ts';
import { ModelCache } from './model-cache.ts';
import { ModelFileCache } from '../../models/member-model-file.ts';
import { writeModelFile } from './model-file-stream.ts';
import { withRequestLimits } from './request-limits.ts';
import { PeerLimiter, peerHost } from './peer-limiter.ts';

const PATH = '/consort.v1.MemberService/';
const HEARTBEAT_MS = 15_000;
/** Uploads buffered at once (only authenticated members the stage expects hold one). */
const UPLOAD_SLOTS = 8;
/** Model downloads served at once (each buffers up to min(model, 16 MiB) in its stream). */
const DOWNLOAD_SLOTS = 8;
/**
 * Enroll calls in progress or failed per peer address and minute: a flood of bogus enrollments is
 * refused before any lookup, while successful ones give their place back (a consortium behind one
 * NAT can enroll all its members at once).
 */
export const ENROLLS_PER_PEER_PER_MINUTE = 20;

export interface MemberServiceDeps {
  store: Store;
  connections: MemberConnections<CoordinatorEvent>;
  rounds: RoundRunner;
  logger: Logger;
  /** Members pin its public key at enrollment; every RoundOpen is signed with it. */
  coordinatorKey: CoordinatorKey;
  /** Applied to each event written to a member's stream (signs RoundOpen). */
  sealEvent: (event: CoordinatorEvent) => CoordinatorEvent;
  /** Upload deadlines (tests shorten them). */
  uploadDeadlines?: UploadDeadlines;
  /** Enroll calls in progress or failed per peer and minute (default ENROLLS_PER_PEER_PER_MINUTE). */
  enrollsPerPeerPerMinute?: number;
}

export function memberServiceHandlers(deps: MemberServiceDeps): MemberServiceHandlers {
  const { store, connections, rounds, logger, coordinatorKey, sealEvent } = deps;
  const uploadSlots = new TransferSlots(UPLOAD_SLOTS);
  const downloadSlots = new TransferSlots(DOWNLOAD_SLOTS);
  const models = new ModelCache(store);
  const modelFiles = new ModelFileCache(store);
  const enrolls = new PeerLimiter(deps.enrollsPerPeerPerMinute ?? ENROLLS_PER_PEER_PER_MINUTE);

  // Streams report errors by emitting 'error' (grpc-js then sends the status); destroy() would not.
  const fail = grpcFailure(logger, 'MemberService');

  return withRequestLimits<MemberServiceHandlers>({
    Enroll(call, callback) {
      const r = call.request;
      const peer = peerHost(call.getPeer());
      if (!enrolls.take(peer)) {
        callback(fail(new ConsortError('RATE_LIMITED', `too many enrollment attempts from ${peer}: at most ${enrolls.limit} a minute; wait ${enrolls.secondsLeft(peer)} s and enroll again`, { peer }), 'Enroll', call));
        return;
      }
      enrollMember(store, {
        token: r.enrollmentToken, identityPublicKey: r.identityPublicKey, displayName: r.displayName, proofOfPossession: r.proofOfPossession,
      }).then(async (member) => {
        enrolls.refund(peer);
        const federation = await store.getFederation(member.federationId);
        callback(null, { memberId: member.id, federationId: federation.id, federationName: federation.name, coordinatorPublicKey: Buffer.from(coordinatorKey.publicKey) });
      }, (err) => callback(fail(err, 'Enroll', call)));
    },

    Connect(call) {
      authenticateCall(store, call.metadata, `${PATH}Connect`, bodyDigest([messageDigest(call.request)])).then(async (member) => {
        const heartbeat = setInterval(() => call.write({ heartbeat: { unixMs: String(Date.now()) } }), HEARTBEAT_MS);
        const sink = {
          write: (e: CoordinatorEvent) => call.write(sealEvent(e)),
          end: () => call.end(),
          // A revoked member's stream ends with the catalogued status, so its agent stops reconnecting.
          fail: (reason: Error) => {
            clearInterval(heartbeat);
            call.emit('error', fail(reason, 'Connect', call));
          },
        };
        const gone = () => {
          clearInterval(heartbeat);
          connections.detach(member.id, sink);
        };
        call.on('cancelled', gone);
        call.on('close', gone);
        call.on('error', gone);
        connections.attach(member.id, member.federationId, call.request.backend || 'unknown', sink);
        await store.touchMember(member.id, { lastSeenAt: new Date(), backend: call.request.backend || undefined });
        logger.info({ member: member.id, backend: call.request.backend }, 'member connected');
        call.write({ heartbeat: { unixMs: String(Date.now()) } });
      }, (err) => call.emit('error', fail(err, 'Connect', call)));
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
      }).catch((err) => call.emit('error', fail(err, 'DownloadModel', call)));
    },

    UploadInput: uploadInputHandler({ store, rounds, slots: uploadSlots, path: PATH, fail, deadlines: deps.uploadDeadlines }),

    SubmitStage(call, callback) {
      authenticateCall(store, call.metadata, `${PATH}SubmitStage`, bodyDigest([messageDigest(call.request)])).then((member) => {
        rounds.acceptStage(member.id, call.request);
        callback(null, { accepted: true, detail: `${call.request.stage} accepted for round ${call.request.roundId}` });
      }).catch((err) => callback(fail(err, 'SubmitStage', call)));
    },

    DeclineRound(call, callback) {
      const r = call.request;
      authenticateCall(store, call.metadata, `${PATH}DeclineRound`, bodyDigest([messageDigest(r)])).then(async (member) => {
        const ack = await rounds.declineRound(member.id, r.roundId, r.code, r.reason);
        logger.warn({ member: member.id, round: r.roundId, accepted: ack.accepted }, 'member declined a round');
        callback(null, ack);
      }).catch((err) => callback(fail(err, 'DeclineRound')));
    },

    FetchModelFile(call) {
      authenticateCall(store, call.metadata, `${PATH}FetchModelFile`, bodyDigest([messageDigest(call.request)])).then(async (member) => {
        const r = call.request;
        // Scoped to the member's federation: another federation's task answers NOT_FOUND, like a missing one.
        const built = await modelFiles.get({ taskId: r.taskId, version: r.version, modelVersionId: r.modelVersionId, federationId: member.federationId });
        await store.appendAuditEvent({ actor: member.id, kind: 'model.pulled', subjectType: 'model', subjectId: built.file.modelVersionId, detail: { taskId: built.file.taskId, version: built.file.version, sha256: built.file.sha256 } });
        await downloadSlots.acquire();
        try {
          await writeModelFile(call, built);
        } finally {
          downloadSlots.release();
        }
      }).catch((err) => call.emit('error', fail(err, 'FetchModelFile')));
    },
  }, fail);
}
