// Numeric option parsing: the option is named and the value quoted in every refusal.
import { describe, expect, it } from 'vitest';
import { formatError } from '../errors/error-text.ts';
import { integerOption, parseIntegerOption, portOption } from './option-values.ts';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return formatError(err);
  }
  throw new Error('expected a refusal');
}

describe('integer options', () => {
  it('accepts whole numbers in range', () => {
    expect(parseIntegerOption('--count', '3', 1)).toBe(3);
    expect(portOption()('0')).toBe(0);
    expect(portOption()(' 50051 ')).toBe(50051);
  });

  it('refuses text, negatives, fractions and out-of-range values with the option named', () => {
    expect(refusal(() => integerOption('--count', 1)('abc'))).toBe('INVALID_ARGUMENT: --count must be a whole number ≥ 1 (got "abc")');
    expect(refusal(() => integerOption('--count', 1)('-1'))).toBe('INVALID_ARGUMENT: --count must be a whole number ≥ 1 (got "-1")');
    expect(refusal(() => integerOption('--wait', 0)('1.5'))).toBe('INVALID_ARGUMENT: --wait must be a whole number ≥ 0 (got "1.5")');
    expect(refusal(() => portOption()('abc'))).toBe('INVALID_ARGUMENT: --port must be a whole number from 0 to 65535 (got "abc")');
    expect(refusal(() => portOption()('70000'))).toBe('INVALID_ARGUMENT: --port must be a whole number from 0 to 65535 (got "70000")');
    expect(refusal(() => integerOption('--rounds', 1)(''))).toBe('INVALID_ARGUMENT: --rounds must be a whole number ≥ 1 (got "")');
  });
});
