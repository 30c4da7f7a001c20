// Anything thrown reads as `CODE: message` with the documented exit code, never [object Object].
import { describe, expect, it } from 'vitest';
import { ConsortError, ERROR_CODES } from './consort-error.ts';
import { EXIT_CODES, describeError, formatError } from './error-text.ts';

describe('error text', () => {
  it('keeps a ConsortError\'s code and message, not its details object', () => {
    const err = new ConsortError('DATA_INVALID', 'a.csv, row 3: ragged row', { file: 'a.csv', row: 3 });
    expect(formatError(err)).toBe('DATA_INVALID: a.csv, row 3: ragged row');
    expect(describeError(err).exitCode).toBe(EXIT_CODES.data);
  });
  it('reads the code a coordinator put at the start of a gRPC error\'s details', () => {
    const grpcErr = Object.assign(new Error('16 UNAUTHENTICATED: ENROLLMENT_TOKEN_USED: used'), { code: 16, details: 'ENROLLMENT_TOKEN_USED: used' });
    expect(describeError(grpcErr)).toEqual({ code: 'ENROLLMENT_TOKEN_USED', message: 'used', exitCode: EXIT_CODES.refused });
  });
  it('says a coordinator that does not answer is unreachable (exit 4)', () => {
    const d = describeError(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' }));
    expect(d.code).toBe('UNAVAILABLE');
    expect(d.exitCode).toBe(4);
    expect(d.message).toContain('CONSORT_COORDINATOR');
  });
  it('names a missing file (exit 3)', () => {
    const d = describeError(Object.assign(new Error("ENOENT: no such file or directory, open 'x.csv'"), { code: 'ENOENT', syscall: 'open', path: 'x.csv' }));
    expect(d).toMatchObject({ code: 'FILE_UNREADABLE', exitCode: 3 });
    expect(d.message).toContain('x.csv');
  });
  it('shortens a huge message and treats unknown values as INTERNAL', () => {
    expect(formatError(new Error('x'.repeat(50_000))).length).toBeLessThan(2200);
    expect(formatError({ weird: true })).toBe('INTERNAL: {"weird":true}');
    expect(describeError('boom')).toEqual({ code: 'INTERNAL', message: 'boom', exitCode: 1 });
  });
  it('gives every error code a documented exit code', () => {
    const exits = new Set<number>(Object.values(EXIT_CODES));
    for (const code of ERROR_CODES) expect(exits.has(describeError(new ConsortError(code, 'm')).exitCode), code).toBe(true);
  });
});
