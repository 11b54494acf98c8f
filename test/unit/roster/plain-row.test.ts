/**
 * The byte-level checks of plain rows (src/roster/plain-row.ts) against the string rules they
 * stand in for: each must accept exactly what its rule accepts (or, where it is allowed to be
 * unsure, never more), and the tables and fingerprint fed from bytes must hold what they would
 * from the strings.
 */
import { describe, expect, it } from 'vitest';
import { isSimpleEmail, isValidEmail } from '../../../src/mail/address.js';
import { isSimpleDid, PLAIN_ACTIVE, PLAIN_PAUSED } from '../../../src/roster/plain-row.js';
import { ROSTER_STATUSES, type RosterRow } from '../../../src/roster/read.js';
import { trustedDid } from '../../../src/roster/rules.js';
import { MultisetFingerprint } from '../../../src/util/multiset-fingerprint.js';
import { StringTable } from '../../../src/util/string-table.js';
import { pickWith, seededRandom } from '../../support/random.js';

const bytesOf = (text: string): Buffer => Buffer.from(`,${text},`, 'utf8');
/** The check on `text`'s bytes, placed inside a larger buffer (as a value of a record is). */
const onBytes = (check: (bytes: Uint8Array, start: number, end: number) => boolean, text: string): boolean => {
  const bytes = bytesOf(text);
  return check(bytes, 1, bytes.length - 1);
};

/** Random strings from pieces that matter to the pattern under test. */
function strings(pieces: readonly string[], seed: number, count: number): string[] {
  const next = seededRandom(seed);
  const pick = pickWith(next);
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 9) }, () => pick(pieces)).join(''),
  );
}

const EMAILS = [
  'ann@example.org',
  'A.Lee+tag@Mail.Example.CO.UK',
  "o'brien@x-y.io",
  'x@a.b.cd',
  'a..b@example.org',
  '.a@example.org',
  'a.@example.org',
  'a@b',
  'a@b.c',
  'a@b.c0m',
  'a@-b.com',
  'a@b-.com',
  'a@b..com',
  'a@.b.com',
  'a@b.com.',
  'a@@b.com',
  'a b@c.org',
  '@example.org',
  'ann@',
  'ann',
  '',
  'ä@example.org',
  'ann@exämple.org',
  `${'x'.repeat(243)}@example.org`,
  `${'x'.repeat(242)}@example.org`,
  'a@1.2.3.com',
  'a@b.c-d.ef',
  "!#$%&'*+/=?^_`{|}~-@x.org",
];

describe('isSimpleEmail (the address rule on bytes)', () => {
  it('agrees with isValidEmail on chosen addresses', () => {
    for (const address of EMAILS)
      expect([address, onBytes(isSimpleEmail, address)]).toEqual([address, isValidEmail(address)]);
  });

  it('agrees with isValidEmail on 200,000 random ones, and never accepts an address the rule refuses', () => {
    const next = seededRandom(5);
    const pick = pickWith(next);
    // Mostly well-formed parts, each with a one-in-five chance of a piece that breaks a rule.
    const part = (clean: readonly string[], breaking: readonly string[]): string =>
      Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next() < 0.05 ? breaking : clean)).join('');
    const local = () => part(['ann', 'Z', '9', '.', '-', '_', '+', "'", '!'], ['..', ' ', '"', 'é', '\t', '@', '']);
    const label = () => part(['a', 'Q', '7', 'xy', '-'], ['_', ' ', 'ü', '@', '']);
    const tld = () => part(['com', 'org', 'io', 'c'], ['1', '-', '', 'ä']);
    let valid = 0;
    for (let i = 0; i < 200_000; i++) {
      const domain = [...Array.from({ length: Math.floor(next() * 3) }, label), tld()].join('.');
      const address = next() < 0.05 ? local() + domain : `${local()}@${domain}`;
      const expected = isValidEmail(address);
      if (expected) valid++;
      if (onBytes(isSimpleEmail, address) !== expected) expect([address, !expected]).toEqual([address, expected]);
    }
    expect(valid).toBeGreaterThan(5_000); // the random addresses reach both answers
  });
});

describe('plain statuses', () => {
  it('are numbered as ROSTER_STATUSES (the pass turns them into standings by that index)', () => {
    expect(ROSTER_STATUSES[PLAIN_ACTIVE]).toBe('active');
    expect(ROSTER_STATUSES[PLAIN_PAUSED]).toBe('paused');
  });
});

describe('isSimpleDid (the DID pattern on bytes)', () => {
  const pattern = (did: string): boolean => trustedDid({ did, shapeOk: true } as RosterRow) !== undefined;

  it('agrees with the DID rule on chosen and 100,000 random DIDs', () => {
    const chosen = ['P0001', 'p.1_a-b', '0', '', '.P1', '-P', '_P', 'P 1', 'P/1', 'Pé', 'x'.repeat(64), 'x'.repeat(65)];
    for (const did of chosen) expect([did, onBytes(isSimpleDid, did)]).toEqual([did, pattern(did)]);
    let valid = 0;
    for (const did of strings(
      ['P', 'z', '0', '9', '.', '_', '-', ' ', '/', '@', '[', '`', 'é', 'xxxxxxxxxx'],
      9,
      100_000,
    )) {
      if (pattern(did)) valid++;
      if (onBytes(isSimpleDid, did) !== pattern(did))
        expect([did, onBytes(isSimpleDid, did)]).toEqual([did, pattern(did)]);
    }
    expect(valid).toBeGreaterThan(1000);
  });
});

describe('keys from bytes', () => {
  it('StringTable.addAscii numbers a key as add() of its (lower-cased) string does, in either order', () => {
    const next = seededRandom(3);
    const pick = pickWith(next);
    const fromBytes = new StringTable();
    const fromStrings = new StringTable();
    for (let i = 0; i < 20_000; i++) {
      const key = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
        pick(['A', 'b', 'Q', 'z', '0', '.', '@']),
      ).join('');
      const lowerCase = next() < 0.5;
      const bytes = bytesOf(key);
      const expected = fromStrings.add(lowerCase ? key.toLowerCase() : key);
      const got =
        next() < 0.5
          ? fromBytes.addAscii(bytes, 1, bytes.length - 1, lowerCase)
          : fromBytes.add(lowerCase ? key.toLowerCase() : key);
      expect(got).toBe(expected);
    }
    expect(fromBytes.size).toBe(fromStrings.size);
    expect([...fromBytes]).toEqual([...fromStrings]);
    // Hashed as the strings are: a lookup by string finds a key added from bytes.
    const table = new StringTable();
    const bytes = bytesOf('Ann.Lee@Example.ORG');
    const k = table.addAscii(bytes, 1, bytes.length - 1, true);
    expect(table.indexOf('ann.lee@example.org')).toBe(k);
    expect(table.indexOf('Ann.Lee@Example.ORG')).toBe(-1);
    // And a look-up from bytes finds what add() of the string stored, and adds nothing.
    const zones = bytesOf('Europe/Paris');
    table.add('Europe/Paris');
    expect(table.indexOfAscii(zones, 1, zones.length - 1)).toBe(1);
    expect(table.indexOfAscii(bytesOf('Europe/Pari'), 1, 12)).toBe(-1);
    expect(table.size).toBe(2);
  });

  it('MultisetFingerprint.addAscii counts a DID as add() of its string does', () => {
    const dids = ['P0001', 'P0002', 'x', '', 'P0001', 'ABC-12_3.4'];
    const fromStrings = new MultisetFingerprint();
    const fromBytes = new MultisetFingerprint();
    for (const did of dids) {
      fromStrings.add(did);
      const bytes = bytesOf(did);
      fromBytes.addAscii(bytes, 1, bytes.length - 1);
    }
    expect(fromBytes.toString()).toBe(fromStrings.toString());
    const other = new MultisetFingerprint();
    for (const did of dids.slice(1)) other.add(did);
    expect(other.toString()).not.toBe(fromBytes.toString());
  });
});
