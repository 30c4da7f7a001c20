// Original file: protos/consort/v1/member.proto


export interface DownloadModelRequest {
  'modelVersionId'?: (string);
}

export interface DownloadModelRequest__Output {
  'modelVersionId': (string);
}
