// Memory across rounds (issue 12): a whole federation in this process, heap after a full GC and
// RSS sampled every few rounds, so growth per round shows. Needs --expose-gc:
//   node --expose-gc --import tsx simulations/src/bench/memory-probe.ts [--rounds 100] [--aggregation secure]
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TaskDefinitionInput } from '@consort/core';
import { selectBackend } from '@consort/client-sdk';
import { churnTaskSchema, generateConsortium, writeConsortium } from '../generator/index.ts';
import { runLocalFederation, stopLocalFederation } from '../scenario/local-federation.ts';

const o = new Command()
  .option('--rounds <n>', 'training rounds', '100')
  .option('--members <n>', 'members', '7')
  .option('--customers <n>', 'customers over all members', '3500')
  .option('--every <n>', 'sample every n rounds', '10')
  .option('--aggregation <kind>', 'secure or plain', 'secure')
  .option('--model <kind>', 'logistic or mlp', 'mlp')
  .option('--no-gc', 'sample without forcing a GC first (peak RSS as a run sees it)')
  .option('--task <file>', 'a task file (YAML) instead of the synthetic churn task')
  .option('--member <csv...>', 'member CSVs for --task')
  .parse().opts<{ rounds: string; members: string; customers: string; every: string; aggregation: 'secure' | 'plain'; model: 'logistic' | 'mlp'; task?: string; member?: string[]; gc: boolean }>();
const noGc = !o.gc;

const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with node --expose-gc');
const gc: () => void = exposed;
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'consort-memory-'));
  const members = Number(o.members);
  const datasets = generateConsortium({ members, seed: 3, totalCustomers: Number(o.customers) });
  const files = writeConsortium(join(workDir, 'data'), datasets).filter((f) => f.endsWith('.csv'));
  const s = churnTaskSchema();
  const { tf } = await selectBackend();
  // The wasm backend's linear memory (never shrinks): part of RSS outside the JS heap.
  const wasmBytes = () => ((tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0);
  let train = 0;
  const every = Number(o.every);
  const synthetic: TaskDefinitionInput = {
    name: 'memory', label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies, protected: s.protected,
    model: { kind: o.model, task: 'binary' }, minMembers: 3,
  };
  const task: TaskDefinitionInput = { ...(o.task ? parseYaml(readFileSync(o.task, 'utf8')) as TaskDefinitionInput : synthetic), aggregation: o.aggregation, earlyStopping: false };
  const fed = await runLocalFederation({
    workDir, rounds: Number(o.rounds), task,
    memberFiles: o.member ? o.member.map((file) => ({ name: basename(file), file })) : files.map((file, i) => ({ name: datasets[i].name, file })),
    onReport: (r) => {
      if (r.purpose !== 'train' || ++train % every !== 0) return;
      if (noGc) {
        const m = process.memoryUsage();
        console.log(`round ${String(train).padStart(4)}  heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB  rss ${mb(m.rss)} MB  peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB  wasm ${mb(wasmBytes())} MB`);
        return;
      }
      const before = process.memoryUsage();
      gc();
      const m = process.memoryUsage();
      console.log(`round ${String(train).padStart(4)}  heap ${mb(before.heapUsed)} -> ${mb(m.heapUsed)} MB after GC  peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB  rss ${mb(m.rss)} MB  external ${mb(m.external)} MB  arrayBuffers ${mb(m.arrayBuffers)} MB  tensors ${tf.memory().numTensors}`);
    },
  });
  console.log(`after export and report: peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
  await stopLocalFederation(fed);
  rmSync(workDir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
