import { describe, expect, it } from 'vitest';
import { nearestMatches, typoDistance } from '../../../src/validation/near-match.js';

describe('DID near matches', () => {
  it('counts substitutions, insertions, deletions and transpositions as one typo', () => {
    expect(typoDistance('P0123', 'P0124')).toBe(1);
    expect(typoDistance('P0123', 'P01234')).toBe(1);
    expect(typoDistance('P0123', 'P0213')).toBe(1);
    expect(typoDistance('P0123', 'Q9999')).toBe(3);
  });

  it('counts a look-alike swap (O for 0) as half a typo, so it wins a tie', () => {
    expect(typoDistance('P0006', 'PO006')).toBe(0.5);
    expect(nearestMatches('P0006', ['P0005', 'PO006'])).toEqual(['PO006']);
  });

  it('offers every equally close candidate, and none when nothing is close', () => {
    expect(nearestMatches('P0006', ['P0005', 'P0007', 'X9'])).toEqual(['P0005', 'P0007']);
    expect(nearestMatches('P0006', ['Q9999'])).toEqual([]);
  });
});
