// Enrolling this machine as a member: make an identity, prove it, save it next to the data.
import { MemberClient } from './member-client.ts';
import { generateIdentity, saveIdentity, type MemberIdentity } from '../identity/member-identity.ts';

/** Generates an Ed25519 identity, enrolls it with a one-time token and saves it (mode 600). */
export async function enrollMember(coordinator: string, token: string, displayName: string, identityPath?: string): Promise<MemberIdentity> {
  const identity = generateIdentity();
  const client = new MemberClient(coordinator, identity);
  try {
    const res = await client.enroll(token, displayName);
    Object.assign(identity, { memberId: res.memberId, federationId: res.federationId, coordinator, displayName });
    if (identityPath) saveIdentity(identityPath, identity);
    return identity;
  } finally {
    client.close();
  }
}
