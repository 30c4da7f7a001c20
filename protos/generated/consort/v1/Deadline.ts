// Original file: protos/consort/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface Deadline {
  'stage'?: (string);
  'deadlineUnixMs'?: (number | string | Long);
}

export interface Deadline__Output {
  'stage': (string);
  'deadlineUnixMs': (string);
}
