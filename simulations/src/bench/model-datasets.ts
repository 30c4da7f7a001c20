// Datasets for the model-quality benchmark: the synthetic consortium and real public datasets
// split into members by a natural column (read from ../shared/data when present).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadMapping, prepareFeatures, readMemberCsv } from '@consort/client-sdk';
import { resolveTaskDefinition, type TaskDefinitionInput } from '@consort/core';
import { churnTaskSchema, generateConsortium, toCsv } from '../generator/index.ts';

export interface BenchDataset {
  name: string;
  /** Where the split into members comes from, for the report. */
  split: string;
  task: TaskDefinitionInput;
  /** One CSV per member, written under the work folder. */
  members: { name: string; file: string; rows: number }[];
}

/** Distinct values of a column, sorted: the vocabulary a consortium would agree on. */
function vocabulary(records: Record<string, string>[], column: string): string[] {
  return [...new Set(records.map((r) => r[column]).filter((v) => v !== ''))].sort();
}

function writeMembers(dir: string, columns: string[], groups: Map<string, Record<string, string>[]>, minRows: number): BenchDataset['members'] {
  mkdirSync(dir, { recursive: true });
  const out: BenchDataset['members'] = [];
  for (const [name, rows] of [...groups.entries()].sort()) {
    if (rows.length < minRows) continue;
    const file = join(dir, `${name.replace(/[^A-Za-z0-9]+/g, '_')}.csv`);
    writeFileSync(file, toCsv(columns, rows));
    out.push({ name, file, rows: rows.length });
  }
  return out;
}

function groupBy(records: Record<string, string>[], column: string): Map<string, Record<string, string>[]> {
  const g = new Map<string, Record<string, string>[]>();
  for (const r of records) {
    const k = r[column] || 'unknown';
    if (!g.has(k)) g.set(k, []);
    g.get(k)!.push(r);
  }
  return g;
}

export function syntheticDataset(workDir: string, members = 8, seed = 7): BenchDataset {
  const s = churnTaskSchema();
  const datasets = generateConsortium({ members, seed, totalCustomers: 16_000 });
  const columns = [...s.numeric, ...Object.keys(s.vocabularies), s.label];
  const dir = join(workDir, 'synthetic');
  mkdirSync(dir, { recursive: true });
  const out = datasets.map((d) => {
    const file = join(dir, `${d.memberId}.csv`);
    writeFileSync(file, toCsv(columns, d.rows));
    return { name: d.name, file, rows: d.rows.length };
  });
  return {
    name: 'synthetic consortium', split: `${members} generated businesses (sizes 25x apart)`, members: out,
    task: { name: 'synthetic-churn', label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies, protected: s.protected },
  };
}

export async function telcoDataset(workDir: string, dataDir: string): Promise<BenchDataset | undefined> {
  const file = join(dataDir, 'telco_customer_churn.csv');
  if (!existsSync(file)) return undefined;
  const numeric = ['tenure', 'MonthlyCharges', 'TotalCharges'];
  const categorical = ['PhoneService', 'MultipleLines', 'InternetService', 'OnlineSecurity', 'OnlineBackup', 'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies', 'Contract', 'PaperlessBilling'];
  const split = 'PaymentMethod';
  const table = await readMemberCsv(file, { numeric, categorical, label: 'Churn', positiveLabel: ['Yes'] }, { keep: [split] });
  const vocabularies = Object.fromEntries(categorical.map((c) => [c, vocabulary(table.records, c)]));
  return {
    name: 'Telco customer churn (IBM)', split: `members = ${split} (4)`,
    members: writeMembers(join(workDir, 'telco'), [...numeric, ...categorical, 'Churn'], groupBy(table.records, split), 50),
    task: { name: 'telco-churn', label: 'Churn', positiveLabel: ['Yes'], numeric, categorical: vocabularies, protected: ['gender', 'SeniorCitizen', 'Partner', 'Dependents'] },
  };
}

export async function bankDataset(workDir: string, dataDir: string): Promise<BenchDataset | undefined> {
  const file = join(dataDir, 'bank_marketing_bank-full.csv');
  if (!existsSync(file)) return undefined;
  // duration is known only after the call and leaks the target (Moro et al. 2014): dropped.
  const numeric = ['balance', 'day', 'campaign', 'pdays', 'previous'];
  const categorical = ['default', 'housing', 'loan', 'contact', 'month', 'poutcome'];
  const split = 'job';
  const table = await readMemberCsv(file, { numeric, categorical, label: 'y', positiveLabel: ['yes'] }, { keep: [split] });
  const vocabularies = Object.fromEntries(categorical.map((c) => [c, vocabulary(table.records, c)]));
  return {
    name: 'Bank marketing (UCI, Moro et al. 2014)', split: `members = ${split} (12)`,
    members: writeMembers(join(workDir, 'bank'), [...numeric, ...categorical, 'y'], groupBy(table.records, split), 50),
    task: { name: 'bank-propensity', label: 'y', positiveLabel: ['yes'], numeric, categorical: vocabularies, protected: ['age', 'marital', 'education'] },
  };
}

/**
 * Members of the online-retail consortium by country (the natural column of the non-UK UCI
 * Online Retail sample): the two large countries alone, the rest in two regional groups, so each
 * member has enough customers to hold out a test split.
 */
const RETAIL_MEMBERS: Record<string, string[]> = {
  Germany: ['Germany'],
  France: ['France'],
  'Benelux and Alps': ['Belgium', 'Netherlands', 'Switzerland', 'Austria', 'Channel Islands'],
  'South, North and overseas': ['Spain', 'Portugal', 'Italy', 'Cyprus', 'Greece', 'Malta', 'Norway', 'Sweden', 'Finland', 'Denmark', 'Iceland', 'Poland',
    'Lithuania', 'Czech Republic', 'EIRE', 'European Community', 'Unspecified', 'Australia', 'Japan', 'Canada', 'USA', 'Israel', 'Lebanon', 'Bahrain',
    'Saudi Arabia', 'United Arab Emirates', 'Singapore', 'Brazil', 'RSA', 'Hong Kong'],
};

/**
 * The small online-retail churn set: invoice lines turned into customers (RFM features, churn =
 * no order in the 90 days after the cutoff) with the onboarding mapping of examples/onboarding,
 * one member per country group (filter `Country in [...]`).
 */
export async function retailDataset(workDir: string, dataDir: string, examplesDir = 'examples/onboarding'): Promise<BenchDataset | undefined> {
  const file = join(dataDir, 'online_retail_sample_non_uk.csv');
  if (!existsSync(file)) return undefined;
  const taskInput = parseYaml(readFileSync(join(examplesDir, 'retail-task.yaml'), 'utf8')) as TaskDefinitionInput;
  const task = resolveTaskDefinition(taskInput);
  const base = loadMapping(join(examplesDir, 'retail-mapping.yaml'));
  const dir = join(workDir, 'retail');
  mkdirSync(dir, { recursive: true });
  const members: BenchDataset['members'] = [];
  for (const [name, countries] of Object.entries(RETAIL_MEMBERS)) {
    const out = join(dir, `${name.replace(/[^A-Za-z0-9]+/g, '_')}.csv`);
    const r = await prepareFeatures({ ...base, source: { ...base.source, path: file } as typeof base.source, filter: { column: 'Country', in: countries } }, task, out);
    members.push({ name, file: out, rows: r.rows });
  }
  return {
    name: 'Online retail churn (UCI, non-UK)', split: `members = Country (${Object.keys(RETAIL_MEMBERS).length} groups)`, members,
    task: { ...taskInput, protected: [] },
  };
}
