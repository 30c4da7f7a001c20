// Public surface of @consort/client-sdk: the member agent, its identity, data and training.
export * from './agent/agent.ts';
export * from './agent/enroll.ts';
export * from './agent/member-client.ts';
export * from './agent/local-work.ts';
export * from './identity/member-identity.ts';
