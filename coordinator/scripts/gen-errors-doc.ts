#!/usr/bin/env node
// Writes docs/errors.md from the error catalog (coordinator/src/errors/error-catalog.ts).
// Run with tsx: `npx tsx coordinator/scripts/gen-errors-doc.ts`. A test checks the doc matches the catalog.
import { writeFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ERROR_CATALOG } from '../src/errors/error-catalog.ts';

const name = Object.fromEntries(Object.entries(status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]));
const lines = [
  '# Error codes',
  '',
  'Every error Consort raises carries one of these codes. Inside the code base errors are `ConsortError`s;',
  'they are translated to a gRPC status (and an HTTP status for the admin API) only at the edge.',
  'gRPC errors carry the code at the start of their details: `CODE: message`.',
  '',
  '| code | gRPC status | HTTP | meaning |',
  '|---|---|---|---|',
  ...Object.entries(ERROR_CATALOG).map(([code, e]) => `| \`${code}\` | ${name[e.grpc]} | ${e.http} | ${e.summary} |`),
  '',
];
writeFileSync(new URL('../../docs/errors.md', import.meta.url), lines.join('\n'));
