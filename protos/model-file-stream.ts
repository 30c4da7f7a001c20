// Receives a member model file streamed as a header then data chunks (ExportModel and
// FetchModelFile): the one reader for the operator's and the member's side.
import { createHash } from 'node:crypto';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { ModelFileChunk__Output } from './generated/consort/v1/ModelFileChunk.ts';
import type { ModelFileHeader__Output } from './generated/consort/v1/ModelFileHeader.ts';

/**
 * Collects the file's exact bytes and checks them against the header's length and SHA-256.
 * `altered(received, announced)` builds the error for a transfer that does not match.
 */
export function receiveModelFile(stream: ClientReadableStream<ModelFileChunk__Output>,
  altered: (received: number, announced: string) => Error): Promise<{ header: ModelFileHeader__Output; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    let header: ModelFileHeader__Output | undefined;
    const parts: Buffer[] = [];
    stream.on('data', (c: ModelFileChunk__Output) => {
      if (c.header) header = c.header;
      else if (c.data) parts.push(c.data);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      const bytes = Buffer.concat(parts);
      if (!header || bytes.byteLength !== Number(header.byteLength) || !createHash('sha256').update(bytes).digest().equals(header.fileSha256)) {
        reject(altered(bytes.byteLength, header?.byteLength ?? '?'));
        return;
      }
      resolve({ header, bytes });
    });
  });
}
