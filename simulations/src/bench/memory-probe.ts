// Memory across rounds (issue 12): a whole federation in this process, heap after a full GC and
// RSS sampled every few rounds, so growth per round shows. Needs --expose-gc:
//   node --expose-gc --import tsx simulations/src/bench/memory-probe.ts [--rounds 100] [--aggregation secure]
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  .parse().opts<{ rounds: string; members: string; customers: string; every: string; aggregation: 'secure' | 'plain'; model: 'logistic' | 'mlp' }>();

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
  let train = 0;
  const every = Number(o.every);
  const fed = await runLocalFederation({
    workDir, rounds: Number(o.rounds),
    memberFiles: files.map((file, i) => ({ name: datasets[i].name, file })),
    task: {
      name: 'memory', label: s.label, positiveLabel: s.positiveLabel, numeric: s.numeric, categorical: s.vocabularies, protected: s.protected,
      model: { kind: o.model, task: 'binary' }, minMembers: 3, aggregation: o.aggregation, earlyStopping: { patience: 1_000 },
      train: { localEpochs: 1, batchSize: 64, learningRate: 0.05 },
    },
    onReport: (r) => {
      if (r.purpose !== 'train' || ++train % every !== 0) return;
      gc();
      const m = process.memoryUsage();
      console.log(`round ${String(train).padStart(4)}  heap ${mb(m.heapUsed)} MB  rss ${mb(m.rss)} MB  external ${mb(m.external)} MB  arrayBuffers ${mb(m.arrayBuffers)} MB  tensors ${tf.memory().numTensors}`);
    },
  });
  await stopLocalFederation(fed);
  rmSync(workDir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
