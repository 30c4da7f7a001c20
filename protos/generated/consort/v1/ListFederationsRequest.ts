// Original file: protos/consort/v1/admin.proto


export interface ListFederationsRequest {
}

export interface ListFederationsRequest__Output {
}
