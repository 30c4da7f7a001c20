// Promise-based operator client for consort.v1.AdminService (CLI, demo and tests).
import * as grpc from '@grpc/grpc-js';
import { channelOptions, clientCredentials, loadConsortProtocol, type AdminServiceClient } from '@consort/protos';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { MemberInfo__Output } from '@consort/protos/types/MemberInfo';
import type { MemberList__Output } from '@consort/protos/types/MemberList';
import type { Federation__Output } from '@consort/protos/types/Federation';
import type { EnrollmentTokens__Output } from '@consort/protos/types/EnrollmentTokens';
import type { Task__Output } from '@consort/protos/types/Task';
import type { TaskDefinitionInput } from '@consort/core';

export class AdminClient {
  private readonly client: AdminServiceClient;
  private readonly metadata: grpc.Metadata;

  constructor(address: string, token: string, tlsCaFile?: string) {
    const { admin } = loadConsortProtocol();
    this.client = new admin.consort.v1.AdminService(address, clientCredentials(tlsCaFile), channelOptions);
    this.metadata = new grpc.Metadata();
    this.metadata.set('authorization', `Bearer ${token}`);
  }

  private call<Res>(invoke: (cb: grpc.requestCallback<Res>) => unknown): Promise<Res> {
    return new Promise((resolve, reject) => {
      invoke((err, res) => (err ? reject(err) : resolve(res as Res)));
    });
  }

  createFederation(name: string): Promise<{ id: string; name: string }> {
    return this.call<Federation__Output>((cb) => this.client.CreateFederation({ name }, this.metadata, cb));
  }

  async createEnrollmentTokens(federationId: string, count: number, ttlSeconds = 0): Promise<string[]> {
    const res = await this.call<EnrollmentTokens__Output>((cb) => this.client.CreateEnrollmentTokens({ federationId, count, ttlSeconds }, this.metadata, cb));
    return res.tokens;
  }

  async createTask(federationId: string, definition: TaskDefinitionInput): Promise<{ id: string; initialModelVersionId: string; parameterCount: number }> {
    const res = await this.call<Task__Output>((cb) => this.client.CreateTask({ federationId, definitionJson: JSON.stringify(definition) }, this.metadata, cb));
    return { id: res.id, initialModelVersionId: res.initialModelVersionId, parameterCount: Number(res.parameterCount) };
  }

  async listMembers(federationId: string): Promise<MemberInfo__Output[]> {
    return (await this.call<MemberList__Output>((cb) => this.client.ListMembers({ federationId }, this.metadata, cb))).members;
  }

  /** Runs rounds (at most `rounds`; 0 = the task's maxRounds) and yields each round's report as it finishes. */
  runRounds(taskId: string, rounds: number, waitForMembersSeconds = 30, onReport?: (r: RoundReport__Output) => void): Promise<RoundReport__Output[]> {
    return new Promise((resolve, reject) => {
      const reports: RoundReport__Output[] = [];
      const stream = this.client.RunRounds({ taskId, rounds, waitForMembersSeconds }, this.metadata);
      stream.on('data', (r: RoundReport__Output) => { reports.push(r); onReport?.(r); });
      stream.on('error', reject);
      stream.on('end', () => resolve(reports));
    });
  }

  close(): void {
    this.client.close();
  }
}
