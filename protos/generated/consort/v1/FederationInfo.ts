// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface FederationInfo {
  'id'?: (string);
  'name'?: (string);
  'createdUnixMs'?: (number | string | Long);
  'members'?: (number);
  'tasks'?: (number);
}

export interface FederationInfo__Output {
  'id': (string);
  'name': (string);
  'createdUnixMs': (string);
  'members': (number);
  'tasks': (number);
}
