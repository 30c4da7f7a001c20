// Original file: protos/consort/v1/admin.proto


export interface RunRoundsRequest {
  'taskId'?: (string);
  'rounds'?: (number);
  'waitForMembersSeconds'?: (number);
  'auditPolicy'?: (string);
  'auditOnly'?: (boolean);
  'auditVersion'?: (number);
  'auditIntendedUse'?: (string);
  'auditDataWindow'?: (string);
  'auditMitigationsJson'?: (string);
}

export interface RunRoundsRequest__Output {
  'taskId': (string);
  'rounds': (number);
  'waitForMembersSeconds': (number);
  'auditPolicy': (string);
  'auditOnly': (boolean);
  'auditVersion': (number);
  'auditIntendedUse': (string);
  'auditDataWindow': (string);
  'auditMitigationsJson': (string);
}
