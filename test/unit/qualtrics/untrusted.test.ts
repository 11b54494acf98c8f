import { describe, expect, it } from 'vitest';
import { formulaLike, untrustedValueReasons } from '../../../src/qualtrics/untrusted.js';

describe('values imported from Qualtrics', () => {
  it('treats what a spreadsheet would run as a formula as formula-like', () => {
    for (const v of ['=1+2', '+cmd|calc', '-2+3+cmd', '@SUM(A1)', '\t=x', '\rfoo', '-x@example.org'])
      expect(formulaLike(v), v).toBe(true);
    for (const v of ['Ana', 'O-Brien', '-', '-3', '+44 20 7946 0958', '-1.5', 'ana@example.org', ''])
      expect(formulaLike(v), v).toBe(false);
  });

  it('names the column and the first character, never the value', () => {
    const reasons = untrustedValueReasons({ did: 'Q1', first_name: '=HYPERLINK("x")', site: 'y'.repeat(1001) });
    expect(reasons.map((r) => r.column)).toEqual(['first_name', 'site']);
    expect(reasons[0]!.reason).toMatch(/^formula_like: The value of first_name starts with "="/);
    expect(reasons[1]!.reason).toMatch(/^cell_too_large: The value of site is 1,001 characters long/);
    expect(JSON.stringify(reasons)).not.toMatch(/HYPERLINK|yyyy/);
  });
});
