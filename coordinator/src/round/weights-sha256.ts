// The SHA-256 a model version is stored and verified under: float32 little-endian bytes.
import { createHash } from 'node:crypto';

export function weightsSha256(weights: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}
