// Original file: protos/consort/v1/admin.proto


export interface MembersWaiting {
  'online'?: (number);
  'needed'?: (number);
  'waitSeconds'?: (number);
}

export interface MembersWaiting__Output {
  'online': (number);
  'needed': (number);
  'waitSeconds': (number);
}
