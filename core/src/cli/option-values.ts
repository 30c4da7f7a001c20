// Parsers of numeric command-line options: "abc", "-1" or "1.5" are refused with the option named.
import { ConsortError } from '../errors/consort-error.ts';

/** A whole number within [min, max] from an option's text, else INVALID_ARGUMENT naming the option. */
export function parseIntegerOption(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
    throw new ConsortError('INVALID_ARGUMENT', `${flag} must be ${range} (got "${value}")`, { option: flag, value });
  }
  return n;
}

/** A commander argument parser for parseIntegerOption. */
export function integerOption(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => parseIntegerOption(flag, value, min, max);
}

/** A TCP port: 0 (any free port) to 65535. */
export const portOption = (flag = '--port'): ((value: string) => number) => integerOption(flag, 0, 65535);

/** `--version` of a published model: a whole number ≥ 0, 0 meaning the latest published version. */
export const modelVersionOption = integerOption('--version', 0, 0xffffffff);
