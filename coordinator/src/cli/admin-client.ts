// Promise-based operator client for consort.v1.AdminService (CLI, demo and tests).
import * as grpc from '@grpc/grpc-js';
import { channelOptions, clientCredentials, loadConsortProtocol, receiveModelFile, type AdminServiceClient } from '@consort/protos';
import type { RoundReport__Output } from '@consort/protos/types/RoundReport';
import type { MemberInfo__Output } from '@consort/protos/types/MemberInfo';
import type { MemberList__Output } from '@consort/protos/types/MemberList';
import type { Federation__Output } from '@consort/protos/types/Federation';
import type { EnrollmentTokens__Output } from '@consort/protos/types/EnrollmentTokens';
import type { Task__Output } from '@consort/protos/types/Task';
import type { FederationInfo__Output } from '@consort/protos/types/FederationInfo';
import type { FederationList__Output } from '@consort/protos/types/FederationList';
import type { TaskInfo__Output } from '@consort/protos/types/TaskInfo';
import type { TaskList__Output } from '@consort/protos/types/TaskList';
import type { RoundInfo__Output } from '@consort/protos/types/RoundInfo';
import type { RoundList__Output } from '@consort/protos/types/RoundList';
import type { MembersWaiting__Output } from '@consort/protos/types/MembersWaiting';
import type { ModelFileHeader__Output } from '@consort/protos/types/ModelFileHeader';
import type { RevokedMember__Output } from '@consort/protos/types/RevokedMember';
import { ConsortError, type TaskDefinitionInput } from '@consort/core';

/** A fairness audit with a run (docs/audits.md): the policy file's text and what the report states. */
export interface AuditRequest {
  /** Policy text; absent: the task's own (audit.policy). */
  policy?: string;
  intendedUse?: string;
  dataWindow?: string;
  /** Mitigation plans applied before the audited version (consort-audit mitigate), marked in the report. */
  mitigations?: unknown[];
}

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

  async listFederations(): Promise<FederationInfo__Output[]> {
    return (await this.call<FederationList__Output>((cb) => this.client.ListFederations({}, this.metadata, cb))).federations;
  }

  async listTasks(federationId: string): Promise<TaskInfo__Output[]> {
    return (await this.call<TaskList__Output>((cb) => this.client.ListTasks({ federationId }, this.metadata, cb))).tasks;
  }

  /** Revokes a member (its requests refused, its stream closed); repeated calls keep the first time. */
  async revokeMember(memberId: string): Promise<{ id: string; displayName: string; federationId: string; revokedAt: Date; wasConnected: boolean }> {
    const r = await this.call<RevokedMember__Output>((cb) => this.client.RevokeMember({ memberId }, this.metadata, cb));
    return { id: r.id, displayName: r.displayName, federationId: r.federationId, revokedAt: new Date(Number(r.revokedUnixMs)), wasConnected: r.wasConnected };
  }

  async listRounds(taskId: string): Promise<RoundInfo__Output[]> {
    return (await this.call<RoundList__Output>((cb) => this.client.ListRounds({ taskId }, this.metadata, cb))).rounds;
  }

  /**
   * Runs rounds (at most `rounds`; 0 = the task's maxRounds) and yields each round's report as it finishes. `onWaiting` hears how many members
   * are connected while a round waits for them; aborting `signal` cancels the run (the promise
   * then rejects with gRPC CANCELLED, which reads as the CANCELLED code).
   */
  runRounds(taskId: string, rounds: number, waitForMembersSeconds = 30, onReport?: (r: RoundReport__Output) => void,
    more: { onWaiting?: (w: MembersWaiting__Output) => void; signal?: AbortSignal; workflow?: string; modelVersion?: number; audit?: AuditRequest } = {}): Promise<RoundReport__Output[]> {
    return new Promise((resolve, reject) => {
      const reports: RoundReport__Output[] = [];
      const a = more.audit;
      const audit = a ? { auditPolicy: a.policy ?? '', auditIntendedUse: a.intendedUse ?? '', auditDataWindow: a.dataWindow ?? '', auditMitigationsJson: a.mitigations ? JSON.stringify(a.mitigations) : '' } : {};
      const stream = this.client.RunRounds({ taskId, rounds, waitForMembersSeconds, workflow: more.workflow ?? '', modelVersion: more.modelVersion ?? 0, ...audit }, this.metadata);
      const cancel = () => stream.cancel();
      more.signal?.addEventListener('abort', cancel, { once: true });
      const done = () => more.signal?.removeEventListener('abort', cancel);
      stream.on('data', (r: RoundReport__Output) => {
        if (r.waiting) more.onWaiting?.(r.waiting);
        else { reports.push(r); onReport?.(r); }
      });
      stream.on('error', (err) => { done(); reject(err); });
      stream.on('end', () => { done(); resolve(reports); });
    });
  }

  /**
   * The member model file of a published version of a task (version 0 = latest), as its exact
   * bytes; throws MODEL_INTEGRITY when the transfer does not match the header's length and hash.
   */
  exportModel(taskId: string, version = 0, allowUnaudited = false): Promise<{ header: ModelFileHeader__Output; bytes: Buffer }> {
    return receiveModelFile(this.client.ExportModel({ taskId, version, modelVersionId: '', allowUnaudited }, this.metadata), (received, announced) =>
      new ConsortError('MODEL_INTEGRITY', `the model file of task ${taskId} arrived incomplete or altered (${received} of ${announced} bytes); export it again`));
  }

  close(): void {
    this.client.close();
  }
}
