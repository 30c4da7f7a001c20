// Original file: protos/consort/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ConnectRequest as _consort_v1_ConnectRequest, ConnectRequest__Output as _consort_v1_ConnectRequest__Output } from '../../consort/v1/ConnectRequest';
import type { CoordinatorEvent as _consort_v1_CoordinatorEvent, CoordinatorEvent__Output as _consort_v1_CoordinatorEvent__Output } from '../../consort/v1/CoordinatorEvent';
import type { DeclineRoundAck as _consort_v1_DeclineRoundAck, DeclineRoundAck__Output as _consort_v1_DeclineRoundAck__Output } from '../../consort/v1/DeclineRoundAck';
import type { DeclineRoundRequest as _consort_v1_DeclineRoundRequest, DeclineRoundRequest__Output as _consort_v1_DeclineRoundRequest__Output } from '../../consort/v1/DeclineRoundRequest';
import type { DownloadModelRequest as _consort_v1_DownloadModelRequest, DownloadModelRequest__Output as _consort_v1_DownloadModelRequest__Output } from '../../consort/v1/DownloadModelRequest';
import type { EnrollRequest as _consort_v1_EnrollRequest, EnrollRequest__Output as _consort_v1_EnrollRequest__Output } from '../../consort/v1/EnrollRequest';
import type { EnrollResponse as _consort_v1_EnrollResponse, EnrollResponse__Output as _consort_v1_EnrollResponse__Output } from '../../consort/v1/EnrollResponse';
import type { InputChunk as _consort_v1_InputChunk, InputChunk__Output as _consort_v1_InputChunk__Output } from '../../consort/v1/InputChunk';
import type { ModelChunk as _consort_v1_ModelChunk, ModelChunk__Output as _consort_v1_ModelChunk__Output } from '../../consort/v1/ModelChunk';
import type { ModelFileChunk as _consort_v1_ModelFileChunk, ModelFileChunk__Output as _consort_v1_ModelFileChunk__Output } from '../../consort/v1/ModelFileChunk';
import type { ModelFileRequest as _consort_v1_ModelFileRequest, ModelFileRequest__Output as _consort_v1_ModelFileRequest__Output } from '../../consort/v1/ModelFileRequest';
import type { StageAck as _consort_v1_StageAck, StageAck__Output as _consort_v1_StageAck__Output } from '../../consort/v1/StageAck';
import type { StageSubmission as _consort_v1_StageSubmission, StageSubmission__Output as _consort_v1_StageSubmission__Output } from '../../consort/v1/StageSubmission';
import type { UploadAck as _consort_v1_UploadAck, UploadAck__Output as _consort_v1_UploadAck__Output } from '../../consort/v1/UploadAck';

export interface MemberServiceClient extends grpc.Client {
  Connect(argument: _consort_v1_ConnectRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_CoordinatorEvent__Output>;
  Connect(argument: _consort_v1_ConnectRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_CoordinatorEvent__Output>;
  connect(argument: _consort_v1_ConnectRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_CoordinatorEvent__Output>;
  connect(argument: _consort_v1_ConnectRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_CoordinatorEvent__Output>;
  
  DeclineRound(argument: _consort_v1_DeclineRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  DeclineRound(argument: _consort_v1_DeclineRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  DeclineRound(argument: _consort_v1_DeclineRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  DeclineRound(argument: _consort_v1_DeclineRoundRequest, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  declineRound(argument: _consort_v1_DeclineRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  declineRound(argument: _consort_v1_DeclineRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  declineRound(argument: _consort_v1_DeclineRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  declineRound(argument: _consort_v1_DeclineRoundRequest, callback: grpc.requestCallback<_consort_v1_DeclineRoundAck__Output>): grpc.ClientUnaryCall;
  
  DownloadModel(argument: _consort_v1_DownloadModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelChunk__Output>;
  DownloadModel(argument: _consort_v1_DownloadModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelChunk__Output>;
  downloadModel(argument: _consort_v1_DownloadModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelChunk__Output>;
  downloadModel(argument: _consort_v1_DownloadModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelChunk__Output>;
  
  Enroll(argument: _consort_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _consort_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _consort_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _consort_v1_EnrollRequest, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _consort_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _consort_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _consort_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _consort_v1_EnrollRequest, callback: grpc.requestCallback<_consort_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  
  FetchModelFile(argument: _consort_v1_ModelFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  FetchModelFile(argument: _consort_v1_ModelFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  fetchModelFile(argument: _consort_v1_ModelFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  fetchModelFile(argument: _consort_v1_ModelFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_consort_v1_ModelFileChunk__Output>;
  
  SubmitStage(argument: _consort_v1_StageSubmission, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  SubmitStage(argument: _consort_v1_StageSubmission, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  SubmitStage(argument: _consort_v1_StageSubmission, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  SubmitStage(argument: _consort_v1_StageSubmission, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  submitStage(argument: _consort_v1_StageSubmission, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  submitStage(argument: _consort_v1_StageSubmission, metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  submitStage(argument: _consort_v1_StageSubmission, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  submitStage(argument: _consort_v1_StageSubmission, callback: grpc.requestCallback<_consort_v1_StageAck__Output>): grpc.ClientUnaryCall;
  
  UploadInput(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  UploadInput(metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  UploadInput(options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  UploadInput(callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  uploadInput(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  uploadInput(metadata: grpc.Metadata, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  uploadInput(options: grpc.CallOptions, callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  uploadInput(callback: grpc.requestCallback<_consort_v1_UploadAck__Output>): grpc.ClientWritableStream<_consort_v1_InputChunk>;
  
}

export interface MemberServiceHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleServerStreamingCall<_consort_v1_ConnectRequest__Output, _consort_v1_CoordinatorEvent>;
  
  DeclineRound: grpc.handleUnaryCall<_consort_v1_DeclineRoundRequest__Output, _consort_v1_DeclineRoundAck>;
  
  DownloadModel: grpc.handleServerStreamingCall<_consort_v1_DownloadModelRequest__Output, _consort_v1_ModelChunk>;
  
  Enroll: grpc.handleUnaryCall<_consort_v1_EnrollRequest__Output, _consort_v1_EnrollResponse>;
  
  FetchModelFile: grpc.handleServerStreamingCall<_consort_v1_ModelFileRequest__Output, _consort_v1_ModelFileChunk>;
  
  SubmitStage: grpc.handleUnaryCall<_consort_v1_StageSubmission__Output, _consort_v1_StageAck>;
  
  UploadInput: grpc.handleClientStreamingCall<_consort_v1_InputChunk__Output, _consort_v1_UploadAck>;
  
}

export interface MemberServiceDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_consort_v1_ConnectRequest, _consort_v1_CoordinatorEvent, _consort_v1_ConnectRequest__Output, _consort_v1_CoordinatorEvent__Output>
  DeclineRound: MethodDefinition<_consort_v1_DeclineRoundRequest, _consort_v1_DeclineRoundAck, _consort_v1_DeclineRoundRequest__Output, _consort_v1_DeclineRoundAck__Output>
  DownloadModel: MethodDefinition<_consort_v1_DownloadModelRequest, _consort_v1_ModelChunk, _consort_v1_DownloadModelRequest__Output, _consort_v1_ModelChunk__Output>
  Enroll: MethodDefinition<_consort_v1_EnrollRequest, _consort_v1_EnrollResponse, _consort_v1_EnrollRequest__Output, _consort_v1_EnrollResponse__Output>
  FetchModelFile: MethodDefinition<_consort_v1_ModelFileRequest, _consort_v1_ModelFileChunk, _consort_v1_ModelFileRequest__Output, _consort_v1_ModelFileChunk__Output>
  SubmitStage: MethodDefinition<_consort_v1_StageSubmission, _consort_v1_StageAck, _consort_v1_StageSubmission__Output, _consort_v1_StageAck__Output>
  UploadInput: MethodDefinition<_consort_v1_InputChunk, _consort_v1_UploadAck, _consort_v1_InputChunk__Output, _consort_v1_UploadAck__Output>
}
