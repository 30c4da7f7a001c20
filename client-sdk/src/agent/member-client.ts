// The member's gRPC client: every call signed with the identity key over its wire bytes.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { CHUNK_BYTES, channelOptions, clientCredentials, loadConsortProtocol, receiveModelFile, type MemberServiceClient } from '@consort/protos';
import type { CoordinatorEvent__Output } from '@consort/protos/types/CoordinatorEvent';
import type { EnrollResponse__Output } from '@consort/protos/types/EnrollResponse';
import type { InputChunk } from '@consort/protos/types/InputChunk';
import type { InputHeader } from '@consort/protos/types/InputHeader';
import type { ModelChunk__Output } from '@consort/protos/types/ModelChunk';
import type { ModelFileHeader__Output } from '@consort/protos/types/ModelFileHeader';
import type { ModelFileRequest } from '@consort/protos/types/ModelFileRequest';
import type { StageSubmission } from '@consort/protos/types/StageSubmission';
import type { StageAck__Output } from '@consort/protos/types/StageAck';
import type { UploadAck__Output } from '@consort/protos/types/UploadAck';
import type { DeclineRoundAck__Output } from '@consort/protos/types/DeclineRoundAck';
import { ConsortError, enrollmentProofBytes, sha256, signEd25519, signRequest } from '@consort/core';
import type { MemberIdentity } from '../identity/member-identity.ts';

const SERVICE = 'consort.v1.MemberService';

type Serializer = (value: object) => Buffer;

/** A downloaded global model. */
export interface DownloadedModel {
  modelVersionId: string;
  weights: Float32Array;
  sha256: Buffer;
}

export class MemberClient {
  readonly client: MemberServiceClient;
  private readonly serializers: Record<string, Serializer>;

  /**
   * `tlsCaFile`: the coordinator's CA certificate (PEM); default CONSORT_TLS_CA, else plain TCP.
   * `extraChannelOptions`: added to the standard channel options (e.g. `'grpc.use_local_subchannel_pool': 1`
   * for a connection of this client's own instead of one shared with other clients of the same address).
   */
  constructor(readonly address: string, private readonly identity: MemberIdentity, tlsCaFile?: string, extraChannelOptions?: grpc.ChannelOptions) {
    const { member, definitions } = loadConsortProtocol();
    this.client = new member.consort.v1.MemberService(address, clientCredentials(tlsCaFile), { ...channelOptions, ...extraChannelOptions });
    const service = definitions[SERVICE] as unknown as Record<string, { requestSerialize: Serializer }>;
    this.serializers = Object.fromEntries(Object.entries(service).map(([name, m]) => [name, m.requestSerialize]));
  }

  /** Metadata signing `messages` exactly as they will be serialized on the wire. */
  signedMetadata(method: string, messages: object[]): grpc.Metadata {
    const memberId = this.identity.memberId;
    if (!memberId) throw new ConsortError('UNKNOWN_MEMBER', 'this agent is not enrolled yet; run "consort-agent enroll" first');
    const serialize = this.serializers[method];
    const bodySha256 = sha256(...messages.map((m) => sha256(serialize(m))));
    const timestampMs = Date.now();
    const nonceHex = randomBytes(16).toString('hex');
    const signature = signRequest({ method: `/${SERVICE}/${method}`, memberId, timestampMs, nonceHex, bodySha256 }, this.identity.secretKey);
    const md = new grpc.Metadata();
    md.set('x-consort-member', memberId);
    md.set('x-consort-timestamp', String(timestampMs));
    md.set('x-consort-nonce', nonceHex);
    md.set('x-consort-signature', Buffer.from(signature).toString('hex'));
    return md;
  }

  enroll(token: string, displayName: string): Promise<EnrollResponse__Output> {
    const proof = signEd25519(enrollmentProofBytes(token, this.identity.publicKey), this.identity.secretKey);
    return new Promise((resolve, reject) => {
      this.client.Enroll({ enrollmentToken: token, identityPublicKey: Buffer.from(this.identity.publicKey), displayName, proofOfPossession: Buffer.from(proof) },
        (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  connect(backend: string, agentVersion: string): grpc.ClientReadableStream<CoordinatorEvent__Output> {
    const req = { backend, agentVersion };
    return this.client.Connect(req, this.signedMetadata('Connect', [req]));
  }

  /** Streams a model in and checks it against the SHA-256 the round announced. */
  downloadModel(modelVersionId: string, expectedSha256?: Uint8Array): Promise<DownloadedModel> {
    const req = { modelVersionId };
    return new Promise((resolve, reject) => {
      const stream = this.client.DownloadModel(req, this.signedMetadata('DownloadModel', [req]));
      let buffer: Buffer | undefined;
      let received = 0;
      let sha: Buffer = Buffer.alloc(0);
      stream.on('data', (chunk: ModelChunk__Output) => {
        if (chunk.header) {
          buffer = Buffer.alloc(Number(chunk.header.byteLength));
          sha = chunk.header.sha256;
        } else if (chunk.data && buffer) {
          chunk.data.copy(buffer, received);
          received += chunk.data.byteLength;
        }
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (!buffer || received !== buffer.byteLength) {
          reject(new ConsortError('MODEL_INTEGRITY', `model ${modelVersionId} download ended after ${received} bytes; retry`));
          return;
        }
        const actual = Buffer.from(sha256(buffer));
        if (!actual.equals(sha) || (expectedSha256 && !actual.equals(Buffer.from(expectedSha256)))) {
          reject(new ConsortError('MODEL_INTEGRITY', `model ${modelVersionId} does not match its announced SHA-256; refusing to train on it`));
          return;
        }
        const weights = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
        resolve({ modelVersionId, weights, sha256: actual });
      });
    });
  }

  /**
   * Uploads a header and a payload in CHUNK_BYTES pieces. The signature covers the header, which
   * carries the payload's length and SHA-256: the coordinator verifies it before buffering.
   */
  uploadInput(header: Omit<InputHeader, 'byteLength' | 'payloadSha256'>, payload: Uint8Array): Promise<UploadAck__Output> {
    const headerChunk: InputChunk = { header: { ...header, byteLength: String(payload.byteLength), payloadSha256: Buffer.from(sha256(payload)) } };
    const chunks: InputChunk[] = [headerChunk];
    for (let off = 0; off < payload.byteLength; off += CHUNK_BYTES) {
      chunks.push({ data: Buffer.from(payload.buffer, payload.byteOffset + off, Math.min(CHUNK_BYTES, payload.byteLength - off)) });
    }
    const md = this.signedMetadata('UploadInput', [headerChunk]);
    return new Promise((resolve, reject) => {
      const call = this.client.UploadInput(md, (err, ack) => (err ? reject(err) : resolve(ack!)));
      (async () => {
        for (const c of chunks) {
          if (!call.write(c)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })().catch(reject);
    });
  }

  submitStage(submission: StageSubmission): Promise<StageAck__Output> {
    return new Promise((resolve, reject) => {
      this.client.SubmitStage(submission, this.signedMetadata('SubmitStage', [submission]), (err, ack) => (err ? reject(err) : resolve(ack!)));
    });
  }

  /** Tells the coordinator this member cannot serve a round (code and a reason free of cell values). */
  declineRound(roundId: string, code: string, reason: string): Promise<DeclineRoundAck__Output> {
    const req = { roundId, code, reason };
    return new Promise((resolve, reject) => {
      this.client.DeclineRound(req, this.signedMetadata('DeclineRound', [req]), (err, ack) => (err ? reject(err) : resolve(ack!)));
    });
  }

  /**
   * The member model file (docs/model-file.md) of a published version of a task of this member's
   * federation, as its exact bytes; MODEL_INTEGRITY when the transfer does not match its header.
   */
  fetchModelFile(query: ModelFileRequest): Promise<{ header: ModelFileHeader__Output; bytes: Buffer }> {
    const req: ModelFileRequest = { taskId: query.taskId ?? '', version: query.version ?? 0, modelVersionId: query.modelVersionId ?? '' };
    return receiveModelFile(this.client.FetchModelFile(req, this.signedMetadata('FetchModelFile', [req])), (received, announced) =>
      new ConsortError('MODEL_INTEGRITY', `the model file ${req.modelVersionId || `of task ${req.taskId}`} arrived incomplete or altered (${received} of ${announced} bytes); pull it again`));
  }

  close(): void {
    this.client.close();
  }
}
