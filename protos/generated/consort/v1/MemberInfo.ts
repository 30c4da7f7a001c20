// Original file: protos/consort/v1/admin.proto


export interface MemberInfo {
  'id'?: (string);
  'displayName'?: (string);
  'online'?: (boolean);
  'backend'?: (string);
}

export interface MemberInfo__Output {
  'id': (string);
  'displayName': (string);
  'online': (boolean);
  'backend': (string);
}
