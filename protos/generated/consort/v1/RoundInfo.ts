// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RoundInfo {
  'id'?: (string);
  'number'?: (number);
  'state'?: (string);
  'reason'?: (string);
  'resultModelVersionId'?: (string);
  'participants'?: (number);
  'dropped'?: (string)[];
  'startedUnixMs'?: (number | string | Long);
  'finishedUnixMs'?: (number | string | Long);
}

export interface RoundInfo__Output {
  'id': (string);
  'number': (number);
  'state': (string);
  'reason': (string);
  'resultModelVersionId': (string);
  'participants': (number);
  'dropped': (string)[];
  'startedUnixMs': (string);
  'finishedUnixMs': (string);
}
