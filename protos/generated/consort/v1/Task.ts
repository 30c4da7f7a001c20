// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Task {
  'id'?: (string);
  'name'?: (string);
  'initialModelVersionId'?: (string);
  'parameterCount'?: (number | string | Long);
}

export interface Task__Output {
  'id': (string);
  'name': (string);
  'initialModelVersionId': (string);
  'parameterCount': (string);
}
