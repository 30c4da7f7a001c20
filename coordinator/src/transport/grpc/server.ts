// Starts the coordinator's gRPC server on a host:port with both services registered.
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadConsortProtocol, serverCredentials } from '@consort/protos';
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
  const { member, admin } = loadConsortProtocol();
  const server = new grpc.Server({ ...channelOptions, ...SERVER_KEEPALIVE });
  server.addService(withMessageDigests(member.consort.v1.MemberService.service), memberServiceHandlers(deps));
  server.addService(admin.consort.v1.AdminService.service, adminServiceHandlers(deps));
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(tls), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    address: `${host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    }),
  };
}
