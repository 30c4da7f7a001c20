// The .onnx sidecar: sha256sum-compatible, and a graph without one or not matching it is refused by name.
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { describeError } from '@consort/core';
import { onnxDigestPath, verifyOnnxDigest, writeOnnxWithDigest } from './onnx-digest.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-onnx-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('onnx sidecar digest', () => {
  const graph = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);

  it('writes "<sha256>  <name>" and accepts the untouched graph', async () => {
    const file = join(dir, 'model.onnx');
    const hex = await writeOnnxWithDigest(file, graph);
    expect(hex).toBe(createHash('sha256').update(graph).digest('hex'));
    expect(readFileSync(onnxDigestPath(file), 'utf8')).toBe(`${hex}  model.onnx\n`);
    await expect(verifyOnnxDigest(file, readFileSync(file))).resolves.toBeUndefined();
  });

  it('refuses two flipped bytes, a malformed sidecar and a missing one with MODEL_INTEGRITY naming the file', async () => {
    const file = join(dir, 'tampered.onnx');
    await writeOnnxWithDigest(file, graph);
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff;
    bytes[101] ^= 0x10;
    const flipped = await verifyOnnxDigest(file, bytes).catch((e: unknown) => e);
    expect(describeError(flipped)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
    expect(describeError(flipped).message).toContain(`${file}: the graph does not match the SHA-256 in tampered.onnx.sha256`);

    writeFileSync(onnxDigestPath(file), 'not a digest\n');
    await expect(verifyOnnxDigest(file, graph)).rejects.toThrow(`${file}.sha256 does not start with a SHA-256 in hex`);
    unlinkSync(onnxDigestPath(file));
    await expect(verifyOnnxDigest(file, graph)).rejects.toThrow(`${file}: no tampered.onnx.sha256 beside it, so the graph cannot be checked`);
  });
});
