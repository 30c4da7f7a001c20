// Task pins on disk: owner-only files under tasks/, reloaded by a new agent, tampering detected.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskPins } from './task-pin.ts';
import { encodeTask, resolveTask, taskInputOf, taskSha256 } from '@consort/core';
import type { TaskTerms } from './round-policy.ts';

const terms = (taskId: string, protectedAttrs = ['gender']): TaskTerms => {
  const task = resolveTask({ name: 'churn', label: 'churned', numeric: ['spend'], protected: protectedAttrs, minMembers: 4 });
  return { taskId, taskSha256: taskSha256(encodeTask(task)), task: taskInputOf(task) };
};

describe('task pins', () => {
  it('persist owner-only in the data folder and are read back by a fresh agent', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'consort-pins-')), 'tasks');
    const pin = new TaskPins(dir).pin(terms('task-1'));
    expect(statSync(join(dir, 'task-1.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(new TaskPins(dir).get('task-1')).toEqual(pin);
    expect(new TaskPins(dir).get('task-2')).toBeUndefined();
    expect(() => new TaskPins(dir).pin(terms('task-1'))).toThrow(/EEXIST/);
  });

  it('keep a hostile task id inside the folder and detect an edited pin', () => {
    const root = mkdtempSync(join(tmpdir(), 'consort-pins-'));
    const dir = join(root, 'tasks');
    new TaskPins(dir).pin(terms('../../escape'));
    expect(readdirSync(root)).toEqual(['tasks']);
    const file = join(dir, 'task-1.json');
    new TaskPins(dir).pin(terms('task-1'));
    const edited = JSON.parse(readFileSync(file, 'utf8')) as { terms: TaskTerms };
    edited.terms.task.protected = [];
    writeFileSync(file, JSON.stringify(edited));
    expect(() => new TaskPins(dir).get('task-1')).toThrow(/does not match its own hash/);
  });

  it('refuse a pin written by an older agent (field-by-field terms), saying to delete it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'consort-pins-')), 'tasks');
    const pin = new TaskPins(dir).pin(terms('task-1'));
    writeFileSync(join(dir, 'task-1.json'), JSON.stringify({ ...pin, version: 1 }));
    expect(() => new TaskPins(dir).get('task-1')).toThrow(/written by an older agent .*delete it/);
  });

  it('live in memory only without a folder', () => {
    const pins = new TaskPins();
    pins.pin(terms('t'));
    expect(pins.get('t')?.terms.task.protected).toEqual(['gender']);
    expect(pins.fileOf('t')).toBeUndefined();
  });
});
