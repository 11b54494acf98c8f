/** `report --weeks N` (and `/mail-report N`): a count of weeks, written in digits. */
import { describe, expect, it } from 'vitest';
import { parseWeeks } from '../../../commands/report.js';
import { UsageError } from '../../../src/errors.js';

describe('--weeks', () => {
  it('is a number of weeks, as days; two weeks when not given', () => {
    expect(parseWeeks(undefined)).toBe(14);
    expect(parseWeeks('1')).toBe(7);
    expect(parseWeeks('4')).toBe(28);
  });

  it.each(['0x10', '1e1', ' 2 ', '2.0', '+3', '-1', '0', '', 'two', '99999'])(
    'refuses %j with the option named',
    (value) => {
      expect(() => parseWeeks(value)).toThrow(UsageError);
      expect(() => parseWeeks(value)).toThrow(`--weeks must be a whole number from 1 to`);
    },
  );

  it('refuses a bare --weeks (no value)', () => {
    expect(() => parseWeeks(true)).toThrow(UsageError);
  });
});
