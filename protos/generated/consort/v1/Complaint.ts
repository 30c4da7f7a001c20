// Original file: protos/consort/v1/secagg.proto


export interface Complaint {
  'accusedMemberId'?: (string);
  'kind'?: (string);
  'detail'?: (string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface Complaint__Output {
  'accusedMemberId': (string);
  'kind': (string);
  'detail': (string);
  'signature': (Buffer);
}
