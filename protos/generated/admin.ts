import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminServiceClient as _consort_v1_AdminServiceClient, AdminServiceDefinition as _consort_v1_AdminServiceDefinition } from './consort/v1/AdminService';
import type { CreateEnrollmentTokensRequest as _consort_v1_CreateEnrollmentTokensRequest, CreateEnrollmentTokensRequest__Output as _consort_v1_CreateEnrollmentTokensRequest__Output } from './consort/v1/CreateEnrollmentTokensRequest';
import type { CreateFederationRequest as _consort_v1_CreateFederationRequest, CreateFederationRequest__Output as _consort_v1_CreateFederationRequest__Output } from './consort/v1/CreateFederationRequest';
import type { CreateTaskRequest as _consort_v1_CreateTaskRequest, CreateTaskRequest__Output as _consort_v1_CreateTaskRequest__Output } from './consort/v1/CreateTaskRequest';
import type { Deadline as _consort_v1_Deadline, Deadline__Output as _consort_v1_Deadline__Output } from './consort/v1/Deadline';
import type { EnrollmentTokens as _consort_v1_EnrollmentTokens, EnrollmentTokens__Output as _consort_v1_EnrollmentTokens__Output } from './consort/v1/EnrollmentTokens';
import type { FeatureSchema as _consort_v1_FeatureSchema, FeatureSchema__Output as _consort_v1_FeatureSchema__Output } from './consort/v1/FeatureSchema';
import type { Federation as _consort_v1_Federation, Federation__Output as _consort_v1_Federation__Output } from './consort/v1/Federation';
import type { FederationInfo as _consort_v1_FederationInfo, FederationInfo__Output as _consort_v1_FederationInfo__Output } from './consort/v1/FederationInfo';
import type { FederationList as _consort_v1_FederationList, FederationList__Output as _consort_v1_FederationList__Output } from './consort/v1/FederationList';
import type { ListFederationsRequest as _consort_v1_ListFederationsRequest, ListFederationsRequest__Output as _consort_v1_ListFederationsRequest__Output } from './consort/v1/ListFederationsRequest';
import type { ListMembersRequest as _consort_v1_ListMembersRequest, ListMembersRequest__Output as _consort_v1_ListMembersRequest__Output } from './consort/v1/ListMembersRequest';
import type { ListRoundsRequest as _consort_v1_ListRoundsRequest, ListRoundsRequest__Output as _consort_v1_ListRoundsRequest__Output } from './consort/v1/ListRoundsRequest';
import type { ListTasksRequest as _consort_v1_ListTasksRequest, ListTasksRequest__Output as _consort_v1_ListTasksRequest__Output } from './consort/v1/ListTasksRequest';
import type { MemberInfo as _consort_v1_MemberInfo, MemberInfo__Output as _consort_v1_MemberInfo__Output } from './consort/v1/MemberInfo';
import type { MemberList as _consort_v1_MemberList, MemberList__Output as _consort_v1_MemberList__Output } from './consort/v1/MemberList';
import type { MembersWaiting as _consort_v1_MembersWaiting, MembersWaiting__Output as _consort_v1_MembersWaiting__Output } from './consort/v1/MembersWaiting';
import type { ModelFileChunk as _consort_v1_ModelFileChunk, ModelFileChunk__Output as _consort_v1_ModelFileChunk__Output } from './consort/v1/ModelFileChunk';
import type { ModelFileHeader as _consort_v1_ModelFileHeader, ModelFileHeader__Output as _consort_v1_ModelFileHeader__Output } from './consort/v1/ModelFileHeader';
import type { ModelFileRequest as _consort_v1_ModelFileRequest, ModelFileRequest__Output as _consort_v1_ModelFileRequest__Output } from './consort/v1/ModelFileRequest';
import type { ModelSpec as _consort_v1_ModelSpec, ModelSpec__Output as _consort_v1_ModelSpec__Output } from './consort/v1/ModelSpec';
import type { RevokeMemberRequest as _consort_v1_RevokeMemberRequest, RevokeMemberRequest__Output as _consort_v1_RevokeMemberRequest__Output } from './consort/v1/RevokeMemberRequest';
import type { RevokedMember as _consort_v1_RevokedMember, RevokedMember__Output as _consort_v1_RevokedMember__Output } from './consort/v1/RevokedMember';
import type { RoundInfo as _consort_v1_RoundInfo, RoundInfo__Output as _consort_v1_RoundInfo__Output } from './consort/v1/RoundInfo';
import type { RoundList as _consort_v1_RoundList, RoundList__Output as _consort_v1_RoundList__Output } from './consort/v1/RoundList';
import type { RoundMetrics as _consort_v1_RoundMetrics, RoundMetrics__Output as _consort_v1_RoundMetrics__Output } from './consort/v1/RoundMetrics';
import type { RoundReport as _consort_v1_RoundReport, RoundReport__Output as _consort_v1_RoundReport__Output } from './consort/v1/RoundReport';
import type { RoundWarning as _consort_v1_RoundWarning, RoundWarning__Output as _consort_v1_RoundWarning__Output } from './consort/v1/RoundWarning';
import type { RunRoundsRequest as _consort_v1_RunRoundsRequest, RunRoundsRequest__Output as _consort_v1_RunRoundsRequest__Output } from './consort/v1/RunRoundsRequest';
import type { Task as _consort_v1_Task, Task__Output as _consort_v1_Task__Output } from './consort/v1/Task';
import type { TaskInfo as _consort_v1_TaskInfo, TaskInfo__Output as _consort_v1_TaskInfo__Output } from './consort/v1/TaskInfo';
import type { TaskList as _consort_v1_TaskList, TaskList__Output as _consort_v1_TaskList__Output } from './consort/v1/TaskList';
import type { TensorLayout as _consort_v1_TensorLayout, TensorLayout__Output as _consort_v1_TensorLayout__Output } from './consort/v1/TensorLayout';
import type { TrainConfig as _consort_v1_TrainConfig, TrainConfig__Output as _consort_v1_TrainConfig__Output } from './consort/v1/TrainConfig';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  consort: {
    v1: {
      AdminService: SubtypeConstructor<typeof grpc.Client, _consort_v1_AdminServiceClient> & { service: _consort_v1_AdminServiceDefinition }
      CreateEnrollmentTokensRequest: MessageTypeDefinition<_consort_v1_CreateEnrollmentTokensRequest, _consort_v1_CreateEnrollmentTokensRequest__Output>
      CreateFederationRequest: MessageTypeDefinition<_consort_v1_CreateFederationRequest, _consort_v1_CreateFederationRequest__Output>
      CreateTaskRequest: MessageTypeDefinition<_consort_v1_CreateTaskRequest, _consort_v1_CreateTaskRequest__Output>
      Deadline: MessageTypeDefinition<_consort_v1_Deadline, _consort_v1_Deadline__Output>
      EnrollmentTokens: MessageTypeDefinition<_consort_v1_EnrollmentTokens, _consort_v1_EnrollmentTokens__Output>
      FeatureSchema: MessageTypeDefinition<_consort_v1_FeatureSchema, _consort_v1_FeatureSchema__Output>
      Federation: MessageTypeDefinition<_consort_v1_Federation, _consort_v1_Federation__Output>
      FederationInfo: MessageTypeDefinition<_consort_v1_FederationInfo, _consort_v1_FederationInfo__Output>
      FederationList: MessageTypeDefinition<_consort_v1_FederationList, _consort_v1_FederationList__Output>
      ListFederationsRequest: MessageTypeDefinition<_consort_v1_ListFederationsRequest, _consort_v1_ListFederationsRequest__Output>
      ListMembersRequest: MessageTypeDefinition<_consort_v1_ListMembersRequest, _consort_v1_ListMembersRequest__Output>
      ListRoundsRequest: MessageTypeDefinition<_consort_v1_ListRoundsRequest, _consort_v1_ListRoundsRequest__Output>
      ListTasksRequest: MessageTypeDefinition<_consort_v1_ListTasksRequest, _consort_v1_ListTasksRequest__Output>
      MemberInfo: MessageTypeDefinition<_consort_v1_MemberInfo, _consort_v1_MemberInfo__Output>
      MemberList: MessageTypeDefinition<_consort_v1_MemberList, _consort_v1_MemberList__Output>
      MembersWaiting: MessageTypeDefinition<_consort_v1_MembersWaiting, _consort_v1_MembersWaiting__Output>
      ModelFileChunk: MessageTypeDefinition<_consort_v1_ModelFileChunk, _consort_v1_ModelFileChunk__Output>
      ModelFileHeader: MessageTypeDefinition<_consort_v1_ModelFileHeader, _consort_v1_ModelFileHeader__Output>
      ModelFileRequest: MessageTypeDefinition<_consort_v1_ModelFileRequest, _consort_v1_ModelFileRequest__Output>
      ModelSpec: MessageTypeDefinition<_consort_v1_ModelSpec, _consort_v1_ModelSpec__Output>
      RevokeMemberRequest: MessageTypeDefinition<_consort_v1_RevokeMemberRequest, _consort_v1_RevokeMemberRequest__Output>
      RevokedMember: MessageTypeDefinition<_consort_v1_RevokedMember, _consort_v1_RevokedMember__Output>
      RoundInfo: MessageTypeDefinition<_consort_v1_RoundInfo, _consort_v1_RoundInfo__Output>
      RoundList: MessageTypeDefinition<_consort_v1_RoundList, _consort_v1_RoundList__Output>
      RoundMetrics: MessageTypeDefinition<_consort_v1_RoundMetrics, _consort_v1_RoundMetrics__Output>
      RoundReport: MessageTypeDefinition<_consort_v1_RoundReport, _consort_v1_RoundReport__Output>
      RoundWarning: MessageTypeDefinition<_consort_v1_RoundWarning, _consort_v1_RoundWarning__Output>
      RunRoundsRequest: MessageTypeDefinition<_consort_v1_RunRoundsRequest, _consort_v1_RunRoundsRequest__Output>
      Task: MessageTypeDefinition<_consort_v1_Task, _consort_v1_Task__Output>
      TaskInfo: MessageTypeDefinition<_consort_v1_TaskInfo, _consort_v1_TaskInfo__Output>
      TaskList: MessageTypeDefinition<_consort_v1_TaskList, _consort_v1_TaskList__Output>
      TensorLayout: MessageTypeDefinition<_consort_v1_TensorLayout, _consort_v1_TensorLayout__Output>
      TrainConfig: MessageTypeDefinition<_consort_v1_TrainConfig, _consort_v1_TrainConfig__Output>
    }
  }
}

