// Every error code has a catalog entry and a row in docs/errors.md; translation works at the edge.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ConsortError, ERROR_CODES, EXIT_CODES } from '@consort/core';
import { ERROR_CATALOG, toGrpcError } from './error-catalog.ts';

describe('error catalog', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  it('covers every code, in the catalog and in docs/errors.md', () => {
    expect(Object.keys(ERROR_CATALOG).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(doc, `docs/errors.md lacks ${code} (run npx tsx coordinator/scripts/gen-errors-doc.ts)`).toContain(`| \`${code}\` |`);
  });
  it('documents every exit code of the commands', () => {
    for (const exit of Object.values(EXIT_CODES)) expect(doc).toContain(`| ${exit} |`);
  });
  it('translates ConsortErrors by code and hides unknown errors as INTERNAL', () => {
    expect(toGrpcError(new ConsortError('REPLAYED_REQUEST', 'again'))).toEqual({ code: status.UNAUTHENTICATED, details: 'REPLAYED_REQUEST: again' });
    const internal = toGrpcError(new Error('db password is hunter2'));
    expect(internal.code).toBe(status.INTERNAL);
    expect(internal.details).not.toContain('hunter2');
  });
});
