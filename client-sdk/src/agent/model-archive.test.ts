// The member's model archive: pinned v<N>.json and latest.json written as received, nothing kept that fails its check.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_FILE_FORMAT, describeError, weightsSha256Hex, type MemberModelFile, modelFileContentSha256 } from '@consort/core';
import { checkModelFileBytes, defaultModelsDir, saveModelFile } from './model-archive.ts';

const dir = mkdtempSync(join(tmpdir(), 'consort-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileBytes(version: number, overrides: Partial<MemberModelFile> = {}): Buffer {
  const weights = Float32Array.from([0.25 * version, -1.5, 3.1415927]);
  const file: MemberModelFile = {
    format: MODEL_FILE_FORMAT, kind: 'model', taskId: 'task_1', task: 'churn', version, modelVersionId: `mv-${version}`,
    createdAt: new Date(Date.UTC(2026, 0, version)).toISOString(), spec: { kind: 'logistic', task: 'binary', inputDim: 2 },
    pipeline: { numeric: [], categorical: [] } as unknown as MemberModelFile['pipeline'], metrics: { trainLoss: 0.5 },
    sha256: weightsSha256Hex(weights), weights: Array.from(weights), ...overrides,
  };
  // As the coordinator builds it: the content hash over everything else (unless a test sets one).
  const sealed = 'contentSha256' in overrides ? file : { ...file, contentSha256: modelFileContentSha256(file) };
  return Buffer.from(`${JSON.stringify(sealed)}\n`);
}

describe('model archive', () => {
  it('keeps the models next to the identity by default', () => {
    expect(defaultModelsDir('.consort-member/identity.json')).toBe(join(process.cwd(), '.consort-member', 'models'));
  });

  it('pins each version and moves latest.json forward only', async () => {
    const models = join(dir, 'models');
    const v2 = await saveModelFile(models, fileBytes(2));
    expect(v2).toMatchObject({ taskId: 'task_1', version: 2, file: join(models, 'task_1', 'v2.json'), latest: join(models, 'task_1', 'latest.json') });
    expect(readFileSync(v2.file).equals(fileBytes(2))).toBe(true);
    const v1 = await saveModelFile(models, fileBytes(1));
    expect(v1.latest).toBeUndefined(); // an older version arriving late does not replace the newer one
    expect(readFileSync(join(models, 'task_1', 'latest.json')).equals(fileBytes(2))).toBe(true);
    expect(readFileSync(join(models, 'task_1', 'v1.json')).equals(fileBytes(1))).toBe(true);
    await saveModelFile(models, fileBytes(3));
    expect(readFileSync(join(models, 'task_1', 'latest.json')).equals(fileBytes(3))).toBe(true);
  });

  it('refuses altered weights, a missing hash, an unknown format and a task id that leaves the folder; writes nothing', async () => {
    const models = join(dir, 'refused');
    const tampered = fileBytes(4, { weights: [1.0000001, -1.5, 3.1415927] });
    const err = await saveModelFile(models, tampered, 'model version mv-4').catch((e: unknown) => e);
    expect(describeError(err)).toMatchObject({ code: 'MODEL_INTEGRITY', exitCode: 5 });
    expect(describeError(err).message).toMatch(/^model version mv-4: the weights do not match the recorded sha256 [0-9a-f]{64} \(they hash to [0-9a-f]{64}\)/);
    expect(() => checkModelFileBytes(fileBytes(4, { sha256: '' }), 'x.json')).toThrow('x.json: no "sha256" of the weights is recorded');
    expect(() => checkModelFileBytes(fileBytes(4, { format: 'consort-model/9' as typeof MODEL_FILE_FORMAT }), 'x.json'))
      .toThrow('x.json: model file format "consort-model/9" is not one this agent reads (consort-model/1)');
    expect(() => checkModelFileBytes(Buffer.from('{"weights": [1, 2'), 'x.json')).toThrow(/^x\.json is not valid JSON/);
    await expect(saveModelFile(models, fileBytes(4, { taskId: '../escape' }), 'y.json')).rejects.toThrow('y.json names task "../escape" version 4');
    expect(existsSync(models)).toBe(false);
  });
});
