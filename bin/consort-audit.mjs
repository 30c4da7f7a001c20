#!/usr/bin/env node
// `npx consort-audit …`: the auditor's command line (coordinator/src/cli/audit-main.ts) through tsx.
import { runTs } from '../scripts/run-ts.mjs';

await runTs('coordinator/src/cli/audit-main.ts');
