// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskInfo {
  'id'?: (string);
  'name'?: (string);
  'kind'?: (string);
  'minMembers'?: (number);
  'aggregation'?: (string);
  'rounds'?: (number);
  'latestVersion'?: (number);
  'latestModelVersionId'?: (string);
  'createdUnixMs'?: (number | string | Long);
}

export interface TaskInfo__Output {
  'id': (string);
  'name': (string);
  'kind': (string);
  'minMembers': (number);
  'aggregation': (string);
  'rounds': (number);
  'latestVersion': (number);
  'latestModelVersionId': (string);
  'createdUnixMs': (string);
}
