// The task-file reader: audit.policyFile is read relative to the task file and pinned as audit.policy.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuditPolicy, policyHash } from '@consort/core';
import { readTaskFile } from './task-file.ts';

const TASK = { name: 'churn', label: 'churned', numeric: ['spend'], protected: ['gender'] };
const POLICY = { attributes: [{ name: 'gender', groups: ['F', 'M'] }] };

function taskFile(audit: unknown, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'consort-task-file-'));
  mkdirSync(join(dir, 'tasks'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const path = join(dir, 'tasks', 'churn.json');
  writeFileSync(path, JSON.stringify({ ...TASK, audit }));
  return path;
}

describe('readTaskFile: audit.policyFile', () => {
  it('reads the policy relative to the task file and sends it inline, hashed with the task', () => {
    const { input, task } = readTaskFile(taskFile({ policyFile: '../fairness.yaml', dataWindow: 'Q1' }, { 'fairness.yaml': 'attributes:\n  - { name: gender, groups: [F, M] }\n' }));
    expect(input.audit).toEqual({ policy: POLICY, dataWindow: 'Q1' });
    expect(task.kind === 'model' && task.audit?.policyHash).toBe(policyHash(parseAuditPolicy(POLICY)));
  });

  it('refuses a missing file, a malformed one, a bad policy in it, and a policy given twice', () => {
    expect(() => readTaskFile(taskFile({ policyFile: 'nope.yaml' }))).toThrow(expect.objectContaining({ code: 'FILE_UNREADABLE', message: expect.stringMatching(/nope\.yaml does not exist \(the path is relative to the task file\)/) }));
    expect(() => readTaskFile(taskFile({ policyFile: '../bad.yaml' }, { 'bad.yaml': 'attributes: [' }))).toThrow(/audit policy file .*bad\.yaml is not valid YAML or JSON/);
    expect(() => readTaskFile(taskFile({ policyFile: '../empty.yaml' }, { 'empty.yaml': 'attributes: []\n' }))).toThrow(/field "audit\.policy": audit policy field "attributes"/);
    expect(() => readTaskFile(taskFile({ policyFile: '../p.yaml', policy: POLICY }, { 'p.yaml': '{}' }))).toThrow(/give the policy once/);
  });
});
