#!/usr/bin/env node
// `npx consort-agent …`: the member agent's command line (client-sdk/src/cli/main.ts) through tsx.
import { runTs } from '../scripts/run-ts.mjs';

await runTs('client-sdk/src/cli/main.ts');
