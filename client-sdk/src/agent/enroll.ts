// Enrolling this machine as a member: make an identity, prove it, save it next to the data.
import { ConsortError } from '@consort/core';
import { MemberClient } from './member-client.ts';
import { generateIdentity, saveIdentity, type MemberIdentity } from '../identity/member-identity.ts';

/**
 * Generates an Ed25519 identity, enrolls it with a one-time token and saves it (mode 600) with
 * the coordinator's public key, pinned: from now on only rounds signed by that key are served.
 */
export async function enrollMember(coordinator: string, token: string, displayName: string, identityPath?: string, tlsCaFile?: string): Promise<MemberIdentity> {
  const identity = generateIdentity();
  const client = new MemberClient(coordinator, identity, tlsCaFile);
  try {
    const res = await client.enroll(token, displayName);
    if (res.coordinatorPublicKey.length !== 32) {
      throw new ConsortError('COORDINATOR_SIGNATURE_INVALID',
        `the coordinator at ${coordinator} sent no 32-byte signing key at enrollment (got ${res.coordinatorPublicKey.length} bytes); this agent refuses unsigned rounds: upgrade the coordinator and ask the operator for a new token`);
    }
    Object.assign(identity, {
      memberId: res.memberId, federationId: res.federationId, coordinator, displayName, coordinatorPublicKey: new Uint8Array(res.coordinatorPublicKey),
    });
    if (identityPath) saveIdentity(identityPath, identity);
    return identity;
  } finally {
    client.close();
  }
}
