// The operator's read and write operations, shared by the gRPC admin service and the HTTP API
// (each transport only translates): one place decides what a listing holds and what is audited.
import { ConsortError } from '@consort/core';
import type { FederationRecord, MemberRecord, RoundRecord, Store } from '../store/store.ts';
import type { MemberConnections } from '../members/connections.ts';
import { taskDefinitionOf } from '../round/task-codec.ts';

/** Creates a federation and records who did (`actor`, e.g. "operator" or "operator:alice"). */
export async function createFederation(store: Store, name: string, actor = 'operator'): Promise<FederationRecord> {
  if (!name.trim()) throw new ConsortError('INVALID_ARGUMENT', 'federation name must not be empty');
  const f = await store.createFederation(name.trim());
  await store.appendAuditEvent({ actor, kind: 'federation.created', subjectType: 'federation', subjectId: f.id, detail: { name: f.name } });
  return f;
}

/** A federation with how many members and tasks it has. */
export interface FederationSummary extends FederationRecord {
  members: number;
  tasks: number;
}

export async function federationSummaries(store: Store): Promise<FederationSummary[]> {
  const federations = await store.listFederations();
  return Promise.all(federations.map(async (f) => ({
    ...f, members: (await store.listMembers(f.id)).length, tasks: (await store.listTasks(f.id)).length,
  })));
}

/** A member as the operator sees it: connected now or not, its training backend, when last seen. */
export interface MemberView {
  id: string;
  federationId: string;
  displayName: string;
  online: boolean;
  backend: string;
  enrolledAt: Date;
  lastSeenAt?: Date;
  revokedAt?: Date;
  /** revoked, online or offline. */
  state: 'revoked' | 'online' | 'offline';
}

/**
 * A connected member is seen now (its stream carries heartbeats); one that left is seen when its
 * stream ended. The store records only when a member connected, which alone would show a member
 * online for hours as "last seen hours ago".
 */
function lastSeenOf(m: MemberRecord, connections: MemberConnections<unknown>, now: Date): Date | undefined {
  const live = connections.lastSeen(m.id, now);
  if (!live) return m.lastSeenAt;
  return m.lastSeenAt && m.lastSeenAt > live ? m.lastSeenAt : live;
}

export function memberView(m: MemberRecord, connections: MemberConnections<unknown>, now: Date = new Date()): MemberView {
  const online = connections.isOnline(m.id);
  return {
    id: m.id, federationId: m.federationId, displayName: m.displayName, online, backend: connections.backendOf(m.id) ?? m.backend ?? '',
    enrolledAt: m.enrolledAt, lastSeenAt: lastSeenOf(m, connections, now), revokedAt: m.revokedAt,
    state: m.revokedAt ? 'revoked' : online ? 'online' : 'offline',
  };
}

export async function memberViews(store: Store, connections: MemberConnections<unknown>, federationId: string): Promise<MemberView[]> {
  return (await store.listMembers(federationId)).map((m) => memberView(m, connections));
}

/** A task with its kind, how many rounds it ran and its latest model version. */
export interface TaskSummary {
  id: string;
  federationId: string;
  name: string;
  kind: string;
  minMembers: number;
  aggregation: string;
  rounds: number;
  latestVersion: number;
  latestModelVersionId: string;
  createdAt: Date;
}

export async function taskSummaries(store: Store, federationId: string): Promise<TaskSummary[]> {
  await store.getFederation(federationId);
  const tasks = await store.listTasks(federationId);
  return Promise.all(tasks.map(async (t) => {
    const def = taskDefinitionOf(t);
    const latest = await store.latestModelVersion(t.id);
    return {
      id: t.id, federationId: t.federationId, name: t.name, kind: def.kind === 'segmentation' ? 'segmentation' : def.model?.kind ?? 'model', minMembers: t.minMembers,
      aggregation: t.aggregation, rounds: (await store.listRounds(t.id)).length,
      latestVersion: latest?.version ?? 0, latestModelVersionId: latest?.id ?? '', createdAt: t.createdAt,
    };
  }));
}

/** A task's rounds, after checking the task exists (NOT_FOUND otherwise). */
export async function taskRounds(store: Store, taskId: string): Promise<RoundRecord[]> {
  await store.getTask(taskId);
  return store.listRounds(taskId);
}
