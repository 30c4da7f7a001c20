// Original file: protos/consort/v1/admin.proto

import type { MemberInfo as _consort_v1_MemberInfo, MemberInfo__Output as _consort_v1_MemberInfo__Output } from '../../consort/v1/MemberInfo';

export interface MemberList {
  'members'?: (_consort_v1_MemberInfo)[];
}

export interface MemberList__Output {
  'members': (_consort_v1_MemberInfo__Output)[];
}
