// Original file: protos/consort/v1/admin.proto


export interface RunRoundsRequest {
  'taskId'?: (string);
  'rounds'?: (number);
  'waitForMembersSeconds'?: (number);
  'workflow'?: (string);
  'modelVersion'?: (number);
  'auditPolicy'?: (string);
  'auditIntendedUse'?: (string);
  'auditDataWindow'?: (string);
  'auditMitigationsJson'?: (string);
}

export interface RunRoundsRequest__Output {
  'taskId': (string);
  'rounds': (number);
  'waitForMembersSeconds': (number);
  'workflow': (string);
  'modelVersion': (number);
  'auditPolicy': (string);
  'auditIntendedUse': (string);
  'auditDataWindow': (string);
  'auditMitigationsJson': (string);
}
