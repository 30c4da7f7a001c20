#!/usr/bin/env node
// `npx consort-coordinator …`: the coordinator and operator command line (coordinator/src/cli/main.ts) through tsx.
import { runTs } from '../scripts/run-ts.mjs';

await runTs('coordinator/src/cli/main.ts');
