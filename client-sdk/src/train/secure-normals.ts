// Gaussian samples and uniforms from the operating system's CSPRNG (node:crypto): what DP noise and DP sampling use in production.
import { randomFillSync } from 'node:crypto';
import { BoxMullerNormals } from '@consort/core';

/**
 * Uniform 32-bit words from node:crypto, buffered 64 KiB at a time (one syscall per 16,384
 * words). The coordinator chooses the round's seed, so DP noise and DP row sampling must never
 * come from it: a party who knows the noise can subtract it.
 */
export function cryptoUint32Source(): () => number {
  const buf = new Uint32Array(16_384);
  let next = buf.length;
  return () => {
    if (next === buf.length) {
      randomFillSync(buf);
      next = 0;
    }
    return buf[next++];
  };
}

/** Standard normals from the CSPRNG (Box–Muller on 53-bit uniforms). */
export function cryptoNormals(): BoxMullerNormals {
  return new BoxMullerNormals(cryptoUint32Source());
}
