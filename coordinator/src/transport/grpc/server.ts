// The coordinator's gRPC listeners: members on one port, operators on another.
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadConsortProtocol, serverCredentials } from '@consort/protos';
import { ConsortError } from '@consort/core';
import { withMessageDigests } from './message-digest.ts';
import { memberServiceHandlers, type MemberServiceDeps } from './member-service.ts';
import { adminServiceHandlers, type AdminServiceDeps } from './admin-service.ts';

/**
 * The coordinator pings every member connection each 20 s (channelOptions) but waits up to 2 min
 * for the answer: a member busy training or masking a large model may not read its socket for
 * longer than grpc-js's default 20 s, and dropping it then loses its round. Members that are really
 * gone are still noticed (2 min is also the default stage deadline) and stage deadlines still apply.
 */
const SERVER_KEEPALIVE = { 'grpc.keepalive_timeout_ms': 120_000 };

export interface GrpcServerHandle {
  server: grpc.Server;
  /** host:port actually bound (port 0 picks a free one). */
  address: string;
  close(): Promise<void>;
}

/**
 * Binds host:port before anything else exists (the coordinator creates its database and token
 * only once its ports are its own). A taken port reads UNAVAILABLE naming it and `what` (the
 * option to change).
 */
export async function bindGrpcServer(host: string, port: number, tls?: { certFile: string; keyFile: string }, what = '--port'): Promise<GrpcServerHandle> {
  const server = new grpc.Server({ ...channelOptions, ...SERVER_KEEPALIVE });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(tls), (err, p) => (err ? reject(bindError(err, host, port, what)) : resolve(p)));
  });
  return {
    server,
    address: `${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    }),
  };
}

/** The member port: MemberService only (operators have their own listener). */
export function serveMembers(handle: GrpcServerHandle, deps: MemberServiceDeps): void {
  const { member } = loadConsortProtocol();
  handle.server.addService(withMessageDigests(member.consort.v1.MemberService.service), memberServiceHandlers(deps));
}

/** The operator port (loopback by default): AdminService only. */
export function serveAdmin(handle: GrpcServerHandle, deps: AdminServiceDeps): void {
  const { admin } = loadConsortProtocol();
  handle.server.addService(admin.consort.v1.AdminService.service, adminServiceHandlers(deps));
}

function bindError(err: Error, host: string, port: number, what: string): ConsortError {
  if (/EADDRINUSE/.test(err.message)) {
    return new ConsortError('UNAVAILABLE', `port ${port} is taken on ${host}: stop the program using it or pass another ${what}`, { host, port });
  }
  return new ConsortError('UNAVAILABLE', `cannot listen on ${host}:${port} (${err.message}); check ${what === '--port' ? '--host and --port' : what}`, { host, port });
}
