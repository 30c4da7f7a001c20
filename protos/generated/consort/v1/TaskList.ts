// Original file: protos/consort/v1/admin.proto

import type { TaskInfo as _consort_v1_TaskInfo, TaskInfo__Output as _consort_v1_TaskInfo__Output } from '../../consort/v1/TaskInfo';

export interface TaskList {
  'tasks'?: (_consort_v1_TaskInfo)[];
}

export interface TaskList__Output {
  'tasks': (_consort_v1_TaskInfo__Output)[];
}
