// Starts the coordinator's gRPC server on a host:port with both services registered.
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadConsortProtocol, serverCredentials } from '@consort/protos';
import { withMessageDigests } from './message-digest.ts';
import { memberServiceHandlers, type MemberServiceDeps } from './member-service.ts';
import { adminServiceHandlers, type AdminServiceDeps } from './admin-service.ts';

export interface GrpcServerHandle {
  server: grpc.Server;
  /** host:port actually bound (port 0 picks a free one). */
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(deps: MemberServiceDeps & AdminServiceDeps, host: string, port: number,
  tls?: { certFile: string; keyFile: string }): Promise<GrpcServerHandle> {
  const { member, admin } = loadConsortProtocol();
  const server = new grpc.Server(channelOptions);
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
