// Each validation rule with a failing fixture and its exact message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTaskDefinition, type TaskDefinitionInput } from '@consort/core';
import { parseMapping } from './mapping.ts';
import { renderReportHtml } from './report-html.ts';
import { aucOf, loadTaskFile, validateMapping, type Finding, type LoadedTask, type ValidationThresholds } from './validate.ts';

const TASK: TaskDefinitionInput = {
  name: 't', label: 'churned', positiveLabel: ['1'], numeric: ['tenure', 'spend'], categorical: { plan: ['basic', 'premium'] }, protected: ['gender'], minMembers: 3,
};

/** 60 healthy customers: alternating labels, features unrelated to them. */
function rows(n = 60, edit?: (cells: Record<string, string>, i: number) => void): string {
  const header = ['id', 'tenure', 'spend', 'plan', 'gender', 'churned', 'notes'];
  const out = [header.join(',')];
  for (let i = 0; i < n; i++) {
    const cells: Record<string, string> = {
      id: `c${i}`, tenure: String((i * 7) % 13), spend: String(10 + ((i * 5) % 11)), plan: i % 3 === 0 ? 'premium' : 'basic',
      gender: i % 4 < 2 ? 'f' : 'm', churned: String(i % 2), notes: 'x',
    };
    edit?.(cells, i);
    out.push(header.map((h) => cells[h]).join(','));
  }
  return `${out.join('\n')}\n`;
}

async function run(csv: string, mappingExtra: Record<string, unknown> = {}, task: TaskDefinitionInput = TASK, thresholds: Partial<ValidationThresholds> = {}, optIn: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'consort-val-'));
  const file = join(dir, 'customers.csv');
  writeFileSync(file, csv);
  const mapping = parseMapping({ source: { path: 'customers.csv' }, id: 'id', ...mappingExtra }, 'm.yaml', dir);
  const loaded: LoadedTask = { task: resolveTaskDefinition(task), protectedInputs: optIn };
  const report = await validateMapping(mapping, loaded, { thresholds });
  const only = (rule: string): Finding[] => report.findings.filter((f) => f.rule === rule);
  return { report, file, only };
}

describe('validate', () => {
  it('passes healthy data, notes the columns never read, and renders self-contained HTML', async () => {
    const { report, file } = await run(rows());
    expect(report.errors).toBe(0);
    expect(report.warnings).toBe(0);
    expect(report.findings.map((f) => f.message)).toEqual([`${file}: 1 column(s) not used by the task are never read: "notes"`]);
    expect(report.sourceColumnsRead.sort()).toEqual(['churned', 'gender', 'id', 'plan', 'spend', 'tenure']);
    const html = renderReportHtml(report);
    expect(html).toContain('OK: no errors');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).not.toContain('<script');
  });

  it('missing-column', async () => {
    const { only, file } = await run(rows(), { columns: { spend: 'amount_spent' } });
    expect(only('missing-column').map((f) => [f.severity, f.message])).toEqual([['error',
      `${file}: column "spend" is mapped from "amount_spent", which the export does not have (it has "id", "tenure", "spend", "plan", "gender", "churned", "notes"); fix "columns.spend" in m.yaml`]]);
  });

  it('type: non-numeric values with their rows', async () => {
    const { only, file } = await run(rows(60, (c, i) => { if (i === 3 || i === 8) c.tenure = 'abc'; }));
    expect(only('type').map((f) => f.message)).toEqual([
      `${file}: column "tenure" (from "tenure"): 2 value(s) are not numbers, first at rows 5 ("abc"), 10 ("abc"); fix them, map them with "values", or list the token under "missing"`]);
  });

  it('the HTML page a member may send to the operator holds no cell value, only counts and rows', async () => {
    const { report } = await run(rows(60, (c, i) => { if (i === 3) c.tenure = 'jane.doe@example.com'; if (i === 5) c.plan = 'Secret Plan X'; if (i === 7) c.id = '1'; }));
    const html = renderReportHtml(report);
    expect(report.findings.some((f) => f.message.includes('jane.doe@example.com'))).toBe(true); // the terminal keeps it
    for (const value of ['jane.doe@example.com', 'Secret Plan X']) expect(html).not.toContain(value);
    expect(html).toContain('first at rows 5 (&quot;…&quot;)');
    expect(html).toContain('(rarer values) (1)');
  });

  it('range: values outside the declared bounds', async () => {
    const { only, file } = await run(rows(60, (c, i) => { if (i === 0) c.spend = '-5'; }), { columns: { spend: { from: 'spend', min: 0 } } });
    expect(only('range').map((f) => f.message)).toEqual([
      `${file}: column "spend" (from "spend"): 1 value(s) outside [0, ∞], first at rows 2 ("-5"); check the unit ("scale") or the data`]);
  });

  it('missing-values: warning above 20 %, error above 50 %, any empty label', async () => {
    const { only, file } = await run(rows(60, (c, i) => {
      if (i % 4 === 0) c.tenure = '';
      if (i % 3 !== 0) c.spend = '';
      if (i === 1) c.churned = '';
    }));
    expect(only('missing-values').map((f) => [f.severity, f.message])).toEqual([
      ['error', `${file}: column "spend" (from "spend") is missing in 66.7 % of rows (40 of 60; limit 50 %); check the mapping or fill the gaps`],
      ['error', `${file}: label "churned" is empty in 1 of 60 rows; every training row needs a label: fill them in or filter those rows out`],
      ['warning', `${file}: column "tenure" (from "tenure") is missing in 25.0 % of rows (15 of 60; limit 20 %); check the mapping or fill the gaps`],
    ]);
  });

  it('unknown-category', async () => {
    const { only, file } = await run(rows(60, (c, i) => { if (i === 4 || i === 7) c.plan = 'Gold'; }));
    expect(only('unknown-category').map((f) => f.message)).toEqual([
      `${file}: column "plan" (from "plan"): "Gold" (2 row(s), first at rows 6, 9) is not one of the federation's values (basic, premium); map it under "columns.plan.values" in m.yaml`]);
  });

  it('duplicate-id', async () => {
    const { only, file } = await run(rows(60, (c, i) => { if (i === 10) c.id = 'c2'; }));
    expect(only('duplicate-id').map((f) => f.message)).toEqual([
      `${file}: 1 duplicate customer id(s) in "id", first at rows 12 ("c2"); one row per customer: remove or merge the duplicates`]);
  });

  it('constant-column', async () => {
    const { only, file } = await run(rows(60, (c) => { c.plan = 'basic'; }));
    expect(only('constant-column').map((f) => [f.severity, f.message])).toEqual([['warning',
      `${file}: column "plan" (from "plan") has the same value "basic" in every row; it carries no information for this member (fine if other members differ)`]]);
  });

  it('label-leakage: a feature that predicts the label almost perfectly', async () => {
    const { only, file } = await run(rows(60, (c, i) => { c.spend = String(i % 2 === 1 ? 100 + i : i); }));
    expect(only('label-leakage').map((f) => f.message)).toEqual([
      `${file}: column "spend" (from "spend") alone predicts the label "churned" almost perfectly (AUC 1.000 > 0.98); it is probably known only after the outcome: drop it from the task or map another column`]);
  });

  it('label-leakage also for categorical features', async () => {
    const { only } = await run(rows(60, (c, i) => { c.plan = i % 2 === 1 ? 'premium' : 'basic'; }));
    expect(only('label-leakage').map((f) => f.column)).toEqual(['plan']);
  });

  it('too-few-rows and too-few-positives', async () => {
    const { only, file } = await run(rows(30, (c, i) => { c.churned = i < 4 ? '1' : '0'; }));
    expect(only('too-few-rows').map((f) => f.message)).toEqual([
      `${file}: only 30 usable row(s) after filter and consent (at least 50 needed); too few rows to train on and they would be easy to single out`]);
    expect(only('too-few-positives').map((f) => f.message)).toEqual([
      `${file}: only 4 positive label(s) ("churned" in 1) of 30 rows (at least 10 needed); check "label.values" or the cutoff/horizon`]);
  });

  it('label-values: labels that are neither positive nor negative', async () => {
    const { only, file } = await run(rows(60, (c, i) => { c.churned = i % 2 ? 'Churned' : '0'; }));
    expect(only('label-values').map((f) => f.message)).toEqual([
      `${file}: label "churned": 30 value(s) are neither positive (1) nor negative (0/no/false), first at rows 3 ("Churned"), 5 ("Churned"), 7 ("Churned"), 9 ("Churned"), 11 ("Churned"); map them under "label.values" in m.yaml`]);
    const fixed = await run(rows(60, (c, i) => { c.churned = i % 2 ? 'Churned' : 'Active'; }), { label: { from: 'churned', values: { Churned: '1', Active: '0' } } });
    expect(fixed.report.errors).toBe(0);
  });

  it('protected-input: a feature drawn from a protected attribute\'s column, unless the operator opts in', async () => {
    const task = { ...TASK, categorical: { ...TASK.categorical, sex: ['f', 'm'] } };
    const { only } = await run(rows(), { columns: { sex: 'gender' } }, task);
    expect(only('protected-input').map((f) => f.message)).toEqual([
      'm.yaml: feature "sex" is mapped from "gender", the member column of protected attribute "gender"; protected attributes are for audits only (the operator may opt in with protectedInputs: [gender] in the task)']);
    const optedIn = await run(rows(), { columns: { sex: 'gender' } }, task, {}, ['gender']);
    expect(optedIn.only('protected-input').map((f) => f.severity)).toEqual(['info']);
  });

  it('consent: rows without consent are excluded and counted', async () => {
    const csv = rows(70).split('\n').map((l, i) => (l === '' ? l : `${l},${i === 0 ? 'consent' : i <= 10 ? 'no' : 'yes'}`)).join('\n');
    const { report } = await run(csv, { consent: { column: 'consent', values: ['yes'] } });
    expect(report.rows).toBe(60);
    expect(report.counts.noConsent).toBe(10);
    expect(report.findings.find((f) => f.rule === 'consent')?.message).toBe('10 row(s) without analytics consent excluded from training, evaluation and audits');
  });

  it('aucOf gives half credit to ties', () => {
    expect(aucOf([[1, 0], [2, 1], [3, 0], [4, 1]])).toBe(0.75);
    expect(aucOf([[1, 0], [1, 1]])).toBe(0.5);
  });
});

describe('loadTaskFile: the member reads the task with the resolver the coordinator uses', () => {
  const write = (text: string): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'consort-task-')), 'task.yaml');
    writeFileSync(file, text);
    return file;
  };

  it('takes protectedInputs from the task, as the coordinator does', () => {
    const file = write('name: t\nlabel: churned\nnumeric: [tenure, age]\nprotected: [age, gender]\nprotectedInputs: [age]\n');
    const loaded = loadTaskFile(file);
    expect(loaded.protectedInputs).toEqual(['age']);
    expect(loaded.task.protected).toEqual(['age', 'gender']);
    expect(loaded.task.numeric).toEqual(['tenure', 'age']);
  });

  it('refuses what the coordinator refuses, naming the file and the field', () => {
    expect(() => loadTaskFile(write('name: t\nlabel: churned\nnumeric: [tenure, age]\nprotected: [age]\n')))
      .toThrow(/^task file .*task\.yaml: task definition field "protected": "age" is protected and cannot be a model input/);
    expect(() => loadTaskFile(write('name: t\nlabel: churned\nnumeric: [tenure]\nprotectedInputs: [age]\n')))
      .toThrow(/field "protectedInputs": "age" is not listed in protected/);
    expect(() => loadTaskFile(write('name: t\nlabel: churned\nnumeric: [tenure]\ntrain: { learningRat: 0.1 }\n')))
      .toThrow(/field "train.learningRat": unknown key; did you mean train.learningRate\?/);
    expect(() => loadTaskFile(write('name: s\nkind: segmentation\nsegmentation: { features: [a, b] }\n'))).toThrow(/field "kind": this command trains or checks a model task/);
  });
});
