// The SHA-256 sidecar of an exported .onnx graph (`<file>.onnx.sha256`, sha256sum format): written by export-onnx, checked before scoring.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConsortError } from '@consort/core';

/** Path of the sidecar of an .onnx file. */
export function onnxDigestPath(onnxPath: string): string {
  return `${onnxPath}.sha256`;
}

function hexOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes the graph and its sidecar `<hex>  <name>` (so `sha256sum -c model.onnx.sha256` checks
 * it too). Each file is written beside and renamed, graph first: a sidecar never describes a
 * graph that is not complete. Returns the hex digest.
 */
export async function writeOnnxWithDigest(onnxPath: string, bytes: Uint8Array): Promise<string> {
  const hex = hexOf(bytes);
  await writeFile(`${onnxPath}.partial`, bytes);
  await rename(`${onnxPath}.partial`, onnxPath);
  const sidecar = onnxDigestPath(onnxPath);
  await writeFile(`${sidecar}.partial`, `${hex}  ${basename(onnxPath)}\n`);
  await rename(`${sidecar}.partial`, sidecar);
  return hex;
}

/**
 * Checks an .onnx file's bytes against its sidecar. Throws MODEL_INTEGRITY naming the file when
 * the sidecar is missing or malformed (the graph cannot be checked) or the bytes differ.
 */
export async function verifyOnnxDigest(onnxPath: string, bytes: Uint8Array): Promise<void> {
  const sidecar = onnxDigestPath(onnxPath);
  let text: string;
  try {
    text = await readFile(sidecar, 'utf8');
  } catch {
    throw new ConsortError('MODEL_INTEGRITY',
      `${onnxPath}: no ${basename(sidecar)} beside it, so the graph cannot be checked; export it again with "consort-agent export-onnx --model <model.json> --out ${onnxPath}" (it writes both files)`,
      { file: onnxPath, sidecar });
  }
  const recorded = /^([0-9a-f]{64})\b/i.exec(text.trim())?.[1]?.toLowerCase();
  if (!recorded) {
    throw new ConsortError('MODEL_INTEGRITY', `${sidecar} does not start with a SHA-256 in hex; export the graph again with "consort-agent export-onnx"`, { file: onnxPath, sidecar });
  }
  const actual = hexOf(bytes);
  if (actual !== recorded) {
    throw new ConsortError('MODEL_INTEGRITY',
      `${onnxPath}: the graph does not match the SHA-256 in ${basename(sidecar)} (recorded ${recorded}, file hashes to ${actual}); the file was altered or damaged, export it again from the model file`,
      { file: onnxPath, sidecar, expected: recorded, actual });
  }
}
