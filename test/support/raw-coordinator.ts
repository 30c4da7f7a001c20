// A raw gRPC MemberService on 127.0.0.1 that sends whatever events a test crafts and records
// what members send back: a hostile coordinator for adversarial tests of unmodified agents.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import nacl from 'tweetnacl';
import { signRoundOpen } from '@consort/core';
import { channelOptions, loadConsortProtocol, type MemberServiceHandlers } from '@consort/protos';
import type { CoordinatorEvent } from '@consort/protos/types/CoordinatorEvent';
import type { InputChunk__Output } from '@consort/protos/types/InputChunk';
import type { RoundOpen } from '@consort/protos/types/RoundOpen';
import type { StageSubmission__Output } from '@consort/protos/types/StageSubmission';

/** What a member sent: an upload's header, or a stage submission. */
export interface Received {
  kind: 'upload' | 'stage';
  memberId: string;
  roundId: string;
  detail: string;
  /** The stage submission itself (kind 'stage'). */
  submission?: StageSubmission__Output;
}

export interface RawCoordinator {
  address: string;
  /** The key this server hands out at enrollment (members pin it). */
  key: nacl.SignKeyPair;
  received: Received[];
  /** Resolves when the member's event stream is open. */
  connected(memberId: string): Promise<void>;
  send(memberId: string, event: CoordinatorEvent): void;
  /** A RoundOpen signed with `key` (or another secret key: a look-alike coordinator). */
  signed(open: RoundOpen, secretKey?: Uint8Array): RoundOpen;
  /** Resolves with the first thing the member sends for the round. */
  nextFrom(roundId: string): Promise<Received>;
  close(): Promise<void>;
}

export async function startRawCoordinator(): Promise<RawCoordinator> {
  const key = nacl.sign.keyPair();
  const streams = new Map<string, grpc.ServerWritableStream<unknown, CoordinatorEvent>>();
  const waiting = new Map<string, (() => void)[]>();
  const received: Received[] = [];
  const listeners: ((r: Received) => void)[] = [];
  const record = (r: Received) => {
    received.push(r);
    for (const l of listeners) l(r);
  };
  const handlers: Partial<MemberServiceHandlers> = {
    Enroll(call, callback) {
      callback(null, { memberId: `member-${randomUUID()}`, federationId: 'fed-raw', federationName: 'raw', coordinatorPublicKey: Buffer.from(key.publicKey) });
    },
    Connect(call) {
      const memberId = call.metadata.get('x-consort-member')[0]?.toString() ?? '';
      streams.set(memberId, call as unknown as grpc.ServerWritableStream<unknown, CoordinatorEvent>);
      call.write({ heartbeat: { unixMs: String(Date.now()) } });
      for (const w of waiting.get(memberId) ?? []) w();
      waiting.delete(memberId);
    },
    UploadInput(call, callback) {
      const memberId = call.metadata.get('x-consort-member')[0]?.toString() ?? '';
      let header: InputChunk__Output['header'] | undefined;
      let bytes = 0;
      call.on('data', (c: InputChunk__Output) => {
        if (c.header) header = c.header;
        if (c.data) bytes += c.data.byteLength;
      });
      call.on('end', () => {
        record({ kind: 'upload', memberId, roundId: header?.roundId ?? '', detail: `${header?.kind ?? 'no header'} ${bytes} bytes` });
        callback(null, { accepted: true, detail: 'recorded' });
      });
    },
    SubmitStage(call, callback) {
      const s = call.request as StageSubmission__Output;
      record({ kind: 'stage', memberId: call.metadata.get('x-consort-member')[0]?.toString() ?? '', roundId: s.roundId, detail: s.stage ?? '', submission: s });
      callback(null, { accepted: true, detail: 'recorded' });
    },
  };
  const { member } = loadConsortProtocol();
  const server = new grpc.Server(channelOptions);
  server.addService(member.consort.v1.MemberService.service, handlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    address: `127.0.0.1:${port}`, key, received,
    connected: (memberId) => (streams.has(memberId) ? Promise.resolve() : new Promise((resolve) => {
      waiting.set(memberId, [...(waiting.get(memberId) ?? []), resolve]);
    })),
    send(memberId, event) {
      const s = streams.get(memberId);
      if (!s) throw new Error(`member ${memberId} is not connected to the raw coordinator`);
      s.write(event);
    },
    signed: (open, secretKey = key.secretKey) => ({ ...open, coordinatorSignature: Buffer.from(signRoundOpen(open, secretKey)) }),
    nextFrom: (roundId) => new Promise((resolve) => {
      const seen = received.find((r) => r.roundId === roundId);
      if (seen) { resolve(seen); return; }
      listeners.push((r) => { if (r.roundId === roundId) resolve(r); });
    }),
    close: () => new Promise<void>((resolve) => {
      for (const s of streams.values()) s.end();
      server.tryShutdown(() => resolve());
    }),
  };
}
