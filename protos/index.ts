// Loads the consort.v1 protocol for @grpc/grpc-js and exposes it with the generated types.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as MemberProto } from './generated/member.ts';
import type { ProtoGrpcType as AdminProto } from './generated/admin.ts';

export const protosRoot = dirname(fileURLToPath(import.meta.url));

/** Loader options: must match scripts/gen-proto-types.mjs so runtime objects fit the types. */
export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  bytes: Buffer,
  includeDirs: [protosRoot],
};

/** Messages larger than this are chunked on the wire; the limit is raised a little above it. */
export const CHUNK_BYTES = 1 << 20;
/** gRPC message limit on both sides: chunks plus headroom for small repeated-field messages. */
export const MAX_MESSAGE_BYTES = 16 << 20;

export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Receive window of the client's connection (HTTP/2's default is 64 KiB): a member takes in a model
  // download 1 MiB per round trip instead of 64 KiB (~10 % shorter rounds on loopback, far more over
  // a WAN). It costs the member that buffer; the coordinator's own window, which bounds what it
  // buffers for n members' uploads, stays at the default.
  'grpc-node.flow_control_window': 1 << 20,
};

/**
 * Client credentials: TLS when a CA certificate (PEM) is given — explicitly or through
 * CONSORT_TLS_CA — or when CONSORT_TLS=1 (system roots); plain TCP otherwise (loopback demos).
 */
export function clientCredentials(tlsCaFile = process.env.CONSORT_TLS_CA): grpc.ChannelCredentials {
  if (tlsCaFile) return grpc.credentials.createSsl(readFileSync(tlsCaFile));
  if (process.env.CONSORT_TLS === '1') return grpc.credentials.createSsl();
  return grpc.credentials.createInsecure();
}

/** Server credentials: TLS with the given certificate chain and key (PEM files), else plain TCP. */
export function serverCredentials(tls?: { certFile: string; keyFile: string }): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], false);
}

let cached: { member: MemberProto; admin: AdminProto; definitions: protoLoader.PackageDefinition } | undefined;

/** Loads (once) the package definitions of member.proto and admin.proto. */
export function loadConsortProtocol(): { member: MemberProto; admin: AdminProto; definitions: protoLoader.PackageDefinition } {
  if (cached) return cached;
  const definitions = protoLoader.loadSync(['consort/v1/member.proto', 'consort/v1/admin.proto'], loaderOptions);
  const loaded = grpc.loadPackageDefinition(definitions);
  cached = {
    member: loaded as unknown as MemberProto,
    admin: loaded as unknown as AdminProto,
    definitions,
  };
  return cached;
}

export type * from './generated/member.ts';
export type { ProtoGrpcType as AdminProto } from './generated/admin.ts';
export type { ProtoGrpcType as MemberProto } from './generated/member.ts';
export type { MemberServiceHandlers, MemberServiceClient } from './generated/consort/v1/MemberService.ts';
export type { AdminServiceHandlers, AdminServiceClient } from './generated/consort/v1/AdminService.ts';
export { receiveModelFile } from './model-file-stream.ts';
