// Anything thrown reads as `CODE: message` with the documented exit code, never [object Object].
import { describe, expect, it } from 'vitest';
import { ConsortError, ERROR_CODES } from './consort-error.ts';
import { EXIT_CODES, commandFailure, describeError, formatError } from './error-text.ts';

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
  it('reads commander usage errors as usage (exit 2) and help/version as success', () => {
    const usage = Object.assign(new Error("error: required option '--task <id>' not specified"), { code: 'commander.missingMandatoryOptionValue', exitCode: 1 });
    expect(commandFailure(usage)).toEqual({ stderr: "INVALID_ARGUMENT: required option '--task <id>' not specified; see --help", stdout: '', exitCode: 2 });
    expect(commandFailure(Object.assign(new Error('0.1.0'), { code: 'commander.version', exitCode: 0 })).exitCode).toBe(0);
  });
  it('adds a JSON error document for --json', () => {
    const f = commandFailure(new ConsortError('NOT_FOUND', 'Task t does not exist'), { json: true });
    expect(JSON.parse(f.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: 'Task t does not exist' } });
    expect(f.stderr).toBe('NOT_FOUND: Task t does not exist');
  });
});
