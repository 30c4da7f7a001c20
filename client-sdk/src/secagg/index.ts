// Member side of secure aggregation, for members other than MemberAgent (the gRPC benchmark's many-member hosts): `@consort/client-sdk/secagg`.
export { SecureMemberRound, type SecureMemberRoundOptions, type ContributionRoundOptions, type PackedRoundOptions } from './secure-member-round.ts';
export { PeerPins } from './peer-pins.ts';
