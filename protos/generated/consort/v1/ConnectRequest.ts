// Original file: protos/consort/v1/member.proto


export interface ConnectRequest {
  'backend'?: (string);
  'agentVersion'?: (string);
}

export interface ConnectRequest__Output {
  'backend': (string);
  'agentVersion': (string);
}
