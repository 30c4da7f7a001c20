// Original file: protos/consort/v1/admin.proto


export interface RevokeMemberRequest {
  'memberId'?: (string);
}

export interface RevokeMemberRequest__Output {
  'memberId': (string);
}
