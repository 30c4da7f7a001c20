// Original file: protos/consort/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateEnrollmentTokensRequest as _consort_v1_CreateEnrollmentTokensRequest, CreateEnrollmentTokensRequest__Output as _consort_v1_CreateEnrollmentTokensRequest__Output } from '../../consort/v1/CreateEnrollmentTokensRequest';
import type { CreateFederationRequest as _consort_v1_CreateFederationRequest, CreateFederationRequest__Output as _consort_v1_CreateFederationRequest__Output } from '../../consort/v1/CreateFederationRequest';
import type { CreateTaskRequest as _consort_v1_CreateTaskRequest, CreateTaskRequest__Output as _consort_v1_CreateTaskRequest__Output } from '../../consort/v1/CreateTaskRequest';
import type { EnrollmentTokens as _consort_v1_EnrollmentTokens, EnrollmentTokens__Output as _consort_v1_EnrollmentTokens__Output } from '../../consort/v1/EnrollmentTokens';
import type { Federation as _consort_v1_Federation, Federation__Output as _consort_v1_Federation__Output } from '../../consort/v1/Federation';
import type { FederationList as _consort_v1_FederationList, FederationList__Output as _consort_v1_FederationList__Output } from '../../consort/v1/FederationList';
import type { ListFederationsRequest as _consort_v1_ListFederationsRequest, ListFederationsRequest__Output as _consort_v1_ListFederationsRequest__Output } from '../../consort/v1/ListFederationsRequest';
import type { ListMembersRequest as _consort_v1_ListMembersRequest, ListMembersRequest__Output as _consort_v1_ListMembersRequest__Output } from '../../consort/v1/ListMembersRequest';
import type { ListRoundsRequest as _consort_v1_ListRoundsRequest, ListRoundsRequest__Output as _consort_v1_ListRoundsRequest__Output } from '../../consort/v1/ListRoundsRequest';
import type { ListTasksRequest as _consort_v1_ListTasksRequest, ListTasksRequest__Output as _consort_v1_ListTasksRequest__Output } from '../../consort/v1/ListTasksRequest';
import type { MemberList as _consort_v1_MemberList, MemberList__Output as _consort_v1_MemberList__Output } from '../../consort/v1/MemberList';
import type { ModelFileChunk as _consort_v1_ModelFileChunk, ModelFileChunk__Output as _consort_v1_ModelFileChunk__Output } from '../../consort/v1/ModelFileChunk';
import type { ModelFileRequest as _consort_v1_ModelFileRequest, ModelFileRequest__Output as _consort_v1_ModelFileRequest__Output } from '../../consort/v1/ModelFileRequest';
import type { RevokeMemberRequest as _consort_v1_RevokeMemberRequest, RevokeMemberRequest__Output as _consort_v1_RevokeMemberRequest__Output } from '../../consort/v1/RevokeMemberRequest';
import type { RevokedMember as _consort_v1_RevokedMember, RevokedMember__Output as _consort_v1_RevokedMember__Output } from '../../consort/v1/RevokedMember';
import type { RoundList as _consort_v1_RoundList, RoundList__Output as _consort_v1_RoundList__Output } from '../../consort/v1/RoundList';
import type { RoundReport as _consort_v1_RoundReport, RoundReport__Output as _consort_v1_RoundReport__Output } from '../../consort/v1/RoundReport';
import type { RunRoundsRequest as _consort_v1_RunRoundsRequest, RunRoundsRequest__Output as _consort_v1_RunRoundsRequest__Output } from '../../consort/v1/RunRoundsRequest';
import type { Task as _consort_v1_Task, Task__Output as _consort_v1_Task__Output } from '../../consort/v1/Task';
import type { TaskList as _consort_v1_TaskList, TaskList__Output as _consort_v1_TaskList__Output } from '../../consort/v1/TaskList';

export interface AdminServiceClient extends grpc.Client {
  CreateEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  createEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  createEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  createEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  createEnrollmentTokens(argument: _consort_v1_CreateEnrollmentTokensRequest, callback: grpc.requestCallback<_consort_v1_EnrollmentTokens__Output>): grpc.ClientUnaryCall;
  
  CreateFederation(argument: _consort_v1_CreateFederationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  CreateFederation(argument: _consort_v1_CreateFederationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  CreateFederation(argument: _consort_v1_CreateFederationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  CreateFederation(argument: _consort_v1_CreateFederationRequest, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  createFederation(argument: _consort_v1_CreateFederationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  createFederation(argument: _consort_v1_CreateFederationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  createFederation(argument: _consort_v1_CreateFederationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  createFederation(argument: _consort_v1_CreateFederationRequest, callback: grpc.requestCallback<_consort_v1_Federation__Output>): grpc.ClientUnaryCall;
  
  CreateTask(argument: _consort_v1_CreateTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  CreateTask(argument: _consort_v1_CreateTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  CreateTask(argument: _consort_v1_CreateTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  CreateTask(argument: _consort_v1_CreateTaskRequest, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  createTask(argument: _consort_v1_CreateTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  createTask(argument: _consort_v1_CreateTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  createTask(argument: _consort_v1_CreateTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  createTask(argument: _consort_v1_CreateTaskRequest, callback: grpc.requestCallback<_consort_v1_Task__Output>): grpc.ClientUnaryCall;
  
  ExportModel(argument: _consort_v1_ModelFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  ExportModel(argument: _consort_v1_ModelFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  exportModel(argument: _consort_v1_ModelFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  exportModel(argument: _consort_v1_ModelFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  
  ListFederations(argument: _consort_v1_ListFederationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  ListFederations(argument: _consort_v1_ListFederationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  ListFederations(argument: _consort_v1_ListFederationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  ListFederations(argument: _consort_v1_ListFederationsRequest, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  listFederations(argument: _consort_v1_ListFederationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  listFederations(argument: _consort_v1_ListFederationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  listFederations(argument: _consort_v1_ListFederationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  listFederations(argument: _consort_v1_ListFederationsRequest, callback: grpc.requestCallback<_consort_v1_FederationList__Output>): grpc.ClientUnaryCall;
  
  ListMembers(argument: _consort_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _consort_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _consort_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _consort_v1_ListMembersRequest, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _consort_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _consort_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _consort_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _consort_v1_ListMembersRequest, callback: grpc.requestCallback<_consort_v1_MemberList__Output>): grpc.ClientUnaryCall;
  
  ListRounds(argument: _consort_v1_ListRoundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  ListRounds(argument: _consort_v1_ListRoundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  ListRounds(argument: _consort_v1_ListRoundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  ListRounds(argument: _consort_v1_ListRoundsRequest, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  listRounds(argument: _consort_v1_ListRoundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  listRounds(argument: _consort_v1_ListRoundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  listRounds(argument: _consort_v1_ListRoundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  listRounds(argument: _consort_v1_ListRoundsRequest, callback: grpc.requestCallback<_consort_v1_RoundList__Output>): grpc.ClientUnaryCall;
  
  ListTasks(argument: _consort_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _consort_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _consort_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _consort_v1_ListTasksRequest, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _consort_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _consort_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _consort_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _consort_v1_ListTasksRequest, callback: grpc.requestCallback<_consort_v1_TaskList__Output>): grpc.ClientUnaryCall;
  
  RevokeMember(argument: _consort_v1_RevokeMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  RevokeMember(argument: _consort_v1_RevokeMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  RevokeMember(argument: _consort_v1_RevokeMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  RevokeMember(argument: _consort_v1_RevokeMemberRequest, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  revokeMember(argument: _consort_v1_RevokeMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  revokeMember(argument: _consort_v1_RevokeMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  revokeMember(argument: _consort_v1_RevokeMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  revokeMember(argument: _consort_v1_RevokeMemberRequest, callback: grpc.requestCallback<_consort_v1_RevokedMember__Output>): grpc.ClientUnaryCall;
  
  RunRounds(argument: _consort_v1_RunRoundsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_RoundReport__Output>;
  RunRounds(argument: _consort_v1_RunRoundsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_RoundReport__Output>;
  runRounds(argument: _consort_v1_RunRoundsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_RoundReport__Output>;
  runRounds(argument: _consort_v1_RunRoundsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_RoundReport__Output>;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateEnrollmentTokens: grpc.handleUnaryCall<_consort_v1_CreateEnrollmentTokensRequest__Output, _consort_v1_EnrollmentTokens>;
  
  CreateFederation: grpc.handleUnaryCall<_consort_v1_CreateFederationRequest__Output, _consort_v1_Federation>;
  
  CreateTask: grpc.handleUnaryCall<_consort_v1_CreateTaskRequest__Output, _consort_v1_Task>;
  
  ExportModel: grpc.handleServerStreamingCall<_consort_v1_ModelFileRequest__Output, _consort_v1_ModelFileChunk>;
  
  ListFederations: grpc.handleUnaryCall<_consort_v1_ListFederationsRequest__Output, _consort_v1_FederationList>;
  
  ListMembers: grpc.handleUnaryCall<_consort_v1_ListMembersRequest__Output, _consort_v1_MemberList>;
  
  ListRounds: grpc.handleUnaryCall<_consort_v1_ListRoundsRequest__Output, _consort_v1_RoundList>;
  
  ListTasks: grpc.handleUnaryCall<_consort_v1_ListTasksRequest__Output, _consort_v1_TaskList>;
  
  RevokeMember: grpc.handleUnaryCall<_consort_v1_RevokeMemberRequest__Output, _consort_v1_RevokedMember>;
  
  RunRounds: grpc.handleServerStreamingCall<_consort_v1_RunRoundsRequest__Output, _consort_v1_RoundReport>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  CreateEnrollmentTokens: MethodDefinition<_consort_v1_CreateEnrollmentTokensRequest, _consort_v1_EnrollmentTokens, _consort_v1_CreateEnrollmentTokensRequest__Output, _consort_v1_EnrollmentTokens__Output>
  CreateFederation: MethodDefinition<_consort_v1_CreateFederationRequest, _consort_v1_Federation, _consort_v1_CreateFederationRequest__Output, _consort_v1_Federation__Output>
  CreateTask: MethodDefinition<_consort_v1_CreateTaskRequest, _consort_v1_Task, _consort_v1_CreateTaskRequest__Output, _consort_v1_Task__Output>
  ExportModel: MethodDefinition<_consort_v1_ModelFileRequest, _consort_v1_ModelFileChunk, _consort_v1_ModelFileRequest__Output, _consort_v1_ModelFileChunk__Output>
  ListFederations: MethodDefinition<_consort_v1_ListFederationsRequest, _consort_v1_FederationList, _consort_v1_ListFederationsRequest__Output, _consort_v1_FederationList__Output>
  ListMembers: MethodDefinition<_consort_v1_ListMembersRequest, _consort_v1_MemberList, _consort_v1_ListMembersRequest__Output, _consort_v1_MemberList__Output>
  ListRounds: MethodDefinition<_consort_v1_ListRoundsRequest, _consort_v1_RoundList, _consort_v1_ListRoundsRequest__Output, _consort_v1_RoundList__Output>
  ListTasks: MethodDefinition<_consort_v1_ListTasksRequest, _consort_v1_TaskList, _consort_v1_ListTasksRequest__Output, _consort_v1_TaskList__Output>
  RevokeMember: MethodDefinition<_consort_v1_RevokeMemberRequest, _consort_v1_RevokedMember, _consort_v1_RevokeMemberRequest__Output, _consort_v1_RevokedMember__Output>
  RunRounds: MethodDefinition<_consort_v1_RunRoundsRequest, _consort_v1_RoundReport, _consort_v1_RunRoundsRequest__Output, _consort_v1_RoundReport__Output>
}
