// Original file: protos/consort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RevokedMember {
  'id'?: (string);
  'displayName'?: (string);
  'federationId'?: (string);
  'revokedUnixMs'?: (number | string | Long);
  'wasConnected'?: (boolean);
}

export interface RevokedMember__Output {
  'id': (string);
  'displayName': (string);
  'federationId': (string);
  'revokedUnixMs': (string);
  'wasConnected': (boolean);
}
