// Original file: protos/consort/v1/secagg.proto


// Original file: protos/consort/v1/secagg.proto

export const _consort_v1_RevealedShare_Kind = {
  KIND_UNSPECIFIED: 'KIND_UNSPECIFIED',
  SELF_MASK_SEED: 'SELF_MASK_SEED',
  MASK_PRIVATE_KEY: 'MASK_PRIVATE_KEY',
  PAIRWISE_SEED: 'PAIRWISE_SEED',
} as const;

export type _consort_v1_RevealedShare_Kind =
  | 'KIND_UNSPECIFIED'
  | 0
  | 'SELF_MASK_SEED'
  | 1
  | 'MASK_PRIVATE_KEY'
  | 2
  | 'PAIRWISE_SEED'
  | 3

export type _consort_v1_RevealedShare_Kind__Output = typeof _consort_v1_RevealedShare_Kind[keyof typeof _consort_v1_RevealedShare_Kind]

export interface RevealedShare {
  'ownerMemberId'?: (string);
  'kind'?: (_consort_v1_RevealedShare_Kind);
  'share'?: (Buffer | Uint8Array | string);
}

export interface RevealedShare__Output {
  'ownerMemberId': (string);
  'kind': (_consort_v1_RevealedShare_Kind__Output);
  'share': (Buffer);
}
