import { describe, expect, it } from 'vitest';
import { nearestMatches, suggestCorrections, typoDistance } from '../../../src/validation/near-match.js';

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

describe('suggested DID corrections', () => {
  const suggest = (unknownDids: string[], rosterDids: string[], withData: string[] = []) =>
    Object.fromEntries(suggestCorrections({ unknownDids, rosterDids, didsWithData: new Set(withData) }));

  it('offers a look-alike slip (O for 0, I for 1, S for 5, B for 8, Z for 2) first, over a plain typo', () => {
    expect(suggest(['P0006'], ['PO006', 'P0007'])).toEqual({ P0006: 'PO006' });
    expect(suggest(['P0011'], ['P00I1'])).toEqual({ P0011: 'P00I1' });
    expect(suggest(['P0S12'], ['P0512', 'P0612'])).toEqual({ P0S12: 'P0512' });
    expect(suggest(['P0B12', 'P0Z12'], ['P0812', 'P0212'])).toEqual({ P0B12: 'P0812', P0Z12: 'P0212' });
  });

  it('offers one roster DID for at most one database DID (P0050-P0052 missing, P0005 without data)', () => {
    expect(suggest(['P0050', 'P0051', 'P0052'], ['P0005'])).toEqual({});
    expect(suggest(['P0050'], ['P0005'])).toEqual({ P0050: 'P0005' });
  });

  it('offers nothing when two roster DIDs are equally close, or when the nearest is two typos away', () => {
    expect(suggest(['P0006'], ['P0005', 'P0007'])).toEqual({});
    expect(suggest(['P0006'], ['P0075'])).toEqual({});
    // A plain typo with a rival two typos away is not clear either.
    expect(suggest(['P0006'], ['P0007', 'P0075'])).toEqual({});
  });

  it('never offers a roster DID that has data for the day', () => {
    expect(suggest(['P0050'], ['P0005'], ['P0005', 'P0050'])).toEqual({});
    expect(suggest(['P0006'], ['PO006', 'P0007'], ['PO006', 'P0006'])).toEqual({ P0006: 'P0007' });
  });
});
