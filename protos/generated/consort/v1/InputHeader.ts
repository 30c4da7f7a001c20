// Original file: protos/consort/v1/member.proto

import type { PlainInputHeader as _consort_v1_PlainInputHeader, PlainInputHeader__Output as _consort_v1_PlainInputHeader__Output } from '../../consort/v1/PlainInputHeader';
import type { MaskedInputHeader as _consort_v1_MaskedInputHeader, MaskedInputHeader__Output as _consort_v1_MaskedInputHeader__Output } from '../../consort/v1/MaskedInputHeader';
import type { Long } from '@grpc/proto-loader';

export interface InputHeader {
  'roundId'?: (string);
  'byteLength'?: (number | string | Long);
  'plain'?: (_consort_v1_PlainInputHeader | null);
  'masked'?: (_consort_v1_MaskedInputHeader | null);
  'payloadSha256'?: (Buffer | Uint8Array | string);
  'kind'?: "plain"|"masked";
}

export interface InputHeader__Output {
  'roundId': (string);
  'byteLength': (string);
  'plain'?: (_consort_v1_PlainInputHeader__Output | null);
  'masked'?: (_consort_v1_MaskedInputHeader__Output | null);
  'payloadSha256': (Buffer);
  'kind'?: "plain"|"masked";
}
