// Starts the coordinator's gRPC server on a host:port with both services registered.
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

export async function startGrpcServer(deps: MemberServiceDeps & AdminServiceDeps, host: string, port: number,
  tls?: { certFile: string; keyFile: string }): Promise<GrpcServerHandle> {
  const bound = await bindGrpcServer(host, port, tls);
  bound.serve(deps);
  return bound;
}

/**
 * Binds host:port before anything else exists (the coordinator creates its database and token
 * only once the port is its own); `serve` then registers both services. A taken port reads
 * UNAVAILABLE naming it.
 */
export async function bindGrpcServer(host: string, port: number, tls?: { certFile: string; keyFile: string }): Promise<GrpcServerHandle & { serve(deps: MemberServiceDeps & AdminServiceDeps): void }> {
  const server = new grpc.Server({ ...channelOptions, ...SERVER_KEEPALIVE });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(tls), (err, p) => (err ? reject(bindError(err, host, port)) : resolve(p)));
  });
  return {
    server,
    address: `${host}:${bound}`,
    serve(deps) {
      const { member, admin } = loadConsortProtocol();
      server.addService(withMessageDigests(member.consort.v1.MemberService.service), memberServiceHandlers(deps));
      server.addService(admin.consort.v1.AdminService.service, adminServiceHandlers(deps));
    },
    close: () => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    }),
  };
}

function bindError(err: Error, host: string, port: number): ConsortError {
  if (/EADDRINUSE/.test(err.message)) {
    return new ConsortError('UNAVAILABLE', `port ${port} is taken on ${host}: stop the program using it or pass another --port`, { host, port });
  }
  return new ConsortError('UNAVAILABLE', `cannot listen on ${host}:${port} (${err.message}); check --host and --port`, { host, port });
}
