// Sends a member model file over a server stream: one header, then the bytes in CHUNK_BYTES pieces with back-pressure.
import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { CHUNK_BYTES } from '@consort/protos';
import type { ModelFileChunk } from '@consort/protos/types/ModelFileChunk';
import type { BuiltModelFile } from '../../models/member-model-file.ts';

/** Streams `built` to the caller and ends the call; stops early if the caller cancels. */
export async function writeModelFile(call: grpc.ServerWritableStream<unknown, ModelFileChunk>, built: BuiltModelFile): Promise<void> {
  const { file, bytes } = built;
  let cancelled = false;
  call.once('cancelled', () => { cancelled = true; });
  call.write({
    header: {
      taskId: file.taskId, version: file.version, modelVersionId: file.modelVersionId, kind: file.kind,
      byteLength: String(bytes.byteLength), fileSha256: createHash('sha256').update(bytes).digest(),
    },
  });
  for (let off = 0; off < bytes.byteLength; off += CHUNK_BYTES) {
    if (cancelled) return;
    if (!call.write({ data: bytes.subarray(off, off + CHUNK_BYTES) })) {
      await new Promise((r) => { call.once('drain', r); call.once('cancelled', r); });
    }
  }
  call.end();
}
