// Tests for backend selection: the default order here, forcing one by env var, clear errors.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { isConsortError } from '@consort/core';
import { BACKEND_ENV_VAR, selectBackend } from './backend.ts';

function resolvable(pkg: string): boolean {
  try { createRequire(import.meta.url).resolve(pkg); return true; } catch { return false; }
}

describe('selectBackend', () => {
  afterEach(() => { delete process.env[BACKEND_ENV_VAR]; });

  it('picks the first loadable backend: wasm on a machine without tfjs-node', async () => {
    const logs: string[] = [];
    const b = await selectBackend(undefined, (m) => logs.push(m));
    expect(b.tf.getBackend()).toBe(b.name.startsWith('tensorflow') ? 'tensorflow' : b.name);
    // wasm ships with the SDK, so it is chosen unless a native package loads; cpu would only be
    // chosen if the .wasm binary could not be read (then the log says why wasm was skipped).
    if (!resolvable('@tensorflow/tfjs-node') && !resolvable('@tensorflow/tfjs-node-gpu')) expect(b.name).toBe('wasm');
    expect(logs.join('\n')).toContain(`TensorFlow.js backend: ${b.name}`);
    const sum = b.tf.tidy(() => b.tf.sum(b.tf.tensor1d([1, 2, 3])).dataSync()[0]);
    expect(sum).toBe(6);
    // cached: the same promise result for the same preference
    expect(await selectBackend()).toBe(b);
  });

  it(`${BACKEND_ENV_VAR}=cpu forces the cpu backend`, async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    const b = await selectBackend(['wasm']);
    expect(b.name).toBe('cpu');
    expect(b.tf.getBackend()).toBe('cpu');
  });

  it.skipIf(resolvable('@tensorflow/tfjs-node-gpu'))('forcing an unavailable backend fails clearly', async () => {
    process.env[BACKEND_ENV_VAR] = 'tensorflow-gpu';
    const err = await selectBackend().catch((e: unknown) => e);
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('tensorflow-gpu');
    expect((err as Error).message).toContain(`unset ${BACKEND_ENV_VAR}`);
    expect((err as Error).message).toContain('@tensorflow/tfjs-node-gpu');
  });

  it('rejects an unknown backend name listing the valid ones', async () => {
    process.env[BACKEND_ENV_VAR] = 'webgpu';
    const err = await selectBackend().catch((e: unknown) => e);
    expect(isConsortError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/CONSORT_TF_BACKEND=webgpu is not a TensorFlow.js backend; use one of tensorflow-gpu, tensorflow, wasm, cpu/);
  });
});
