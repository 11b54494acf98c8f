/**
 * Plain rows (src/roster/plain-row.ts) are a shortcut: a row no rule has anything to say about is
 * taken on its bytes instead of being made. Random rosters, built from the values each rule
 * cares about (spacing, case, non-ASCII, duplicates, bad DIDs and addresses, suppressed ones,
 * misaligned, quoted and oversized rows), go through the day's pass both ways; everything the
 * pass hands on must be the same: findings, standings, the rows themselves, the active DIDs and
 * the join with the day.
 */
import { describe, expect, it } from 'vitest';
import type { Implausible } from '../../../src/compliance/plausibility.js';
import { estimatedRows, type OnPlainRow, parseRoster } from '../../../src/roster/read.js';
import { addressHash, type Suppression, type SuppressionIndex } from '../../../src/storage/suppressions.js';
import { StringTable } from '../../../src/util/string-table.js';
import { DayPass } from '../../../src/validation/day-pass.js';
import { pickWith, seededRandom } from '../../support/random.js';

const DIDS = [
  'P0001',
  'P0002',
  'P0003',
  'P0004',
  'P0005',
  'P0006',
  'p0001',
  '',
  ' P0002',
  'P 3',
  '../x',
  'Pé',
  'Q-1.a_b',
];
const EMAILS = [
  'ann@example.org',
  'ANN@Example.org',
  'bounce@example.org',
  'Bounce@Example.ORG',
  'c@d',
  '',
  ' dan@example.org ',
  'éve@example.org',
  'a..b@x.org',
  'x@-a.org',
];
const STATUSES = [
  'active',
  'Active',
  'ACTIVE',
  'paused',
  'PAUSED',
  'withdrawn',
  'opted_out',
  '',
  ' active',
  'bogus',
  'unsure',
  'activé',
];
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'UTC',
  '',
  'Mars/Olympus',
  ' Europe/Berlin',
  'europe/berlin',
  'Etc/GMT+5',
];
const NAMES = [
  'Ann',
  'Renée',
  '中',
  '',
  ' Ann',
  'Ann\t',
  'A\u0007nn',
  'Ann\u00a0',
  '😀',
  'O"Neil',
  'Lee, Jr.',
  'x'.repeat(1001),
];
const OPTIONAL_COLUMNS = ['first_name', 'last_name', 'timezone', 'status', 'site'];

const at = '2026-11-20T10:00:00Z';
const suppression = (kind: Suppression['kind'], did: string): Suppression =>
  ({ id: 1, kind, did, address_hash: null, to_masked: null, status: null, run_id: null, at }) as Suppression;
const SUPPRESSED: SuppressionIndex = {
  byDid: new Map([
    ['P0004', suppression('opted_out', 'P0004')],
    ['P0005', suppression('bounced', 'P0005')],
  ]),
  byAddressHash: new Map([[addressHash('bounce@example.org'), suppression('bounced', 'P0009')]]),
  softBouncing: new Map([['P0006', 3]]),
};

/** A roster of up to 60 rows; most values plain, many not. */
function randomRoster(seed: number): string {
  const next = seededRandom(seed);
  const pick = pickWith(next);
  const columns = ['did', 'email', ...OPTIONAL_COLUMNS.filter(() => next() < 0.7)].sort(() => next() - 0.5);
  const eol = next() < 0.5 ? '\r\n' : '\n';
  const valueFor = (column: string, row: number): string => {
    const plain = next() < 0.6;
    switch (column) {
      case 'did':
        return plain ? `P${String(row).padStart(4, '0')}` : pick(DIDS);
      case 'email':
        return plain ? `u${row}.${seed}@example.org` : pick(EMAILS);
      case 'status':
        return plain ? 'active' : pick(STATUSES);
      case 'timezone':
        return plain ? 'Europe/London' : pick(ZONES);
      case 'site':
        return plain ? 'east' : pick(['', ' west ', 'a\u001fb', 'north']);
      default:
        return plain ? 'Sam' : pick(NAMES);
    }
  };
  const csvValue = (value: string): string =>
    /[",\r\n]/.test(value) || next() < 0.03 ? `"${value.replaceAll('"', '""')}"` : value;
  const lines = [columns.join(',')];
  const rows = Math.floor(next() * 60);
  for (let row = 0; row < rows; row++) {
    const values = columns.map((column) => csvValue(valueFor(column, row)));
    const shape = next();
    if (shape < 0.04) values.push('extra');
    else if (shape < 0.07) values.pop();
    else if (shape < 0.09) lines.push('');
    lines.push(values.join(','));
  }
  return lines.join(eol) + (next() < 0.8 ? eol : '');
}

/** The day's DIDs: some of the roster's, and one it lacks. */
const dayDids = (): StringTable => {
  const table = new StringTable();
  for (const did of ['P0001', 'P0003', 'P0004', 'P0006', 'P0008', 'p0001', 'Q-1.a_b', 'Z9999']) table.add(did);
  for (let row = 10; row < 60; row += 2) table.add(`P${String(row).padStart(4, '0')}`);
  return table;
};
const IMPLAUSIBLE = new Map<string, Implausible>([['P0012', { field: 'wear_minutes', message: 'more than a day' }]]);

/** All the pass hands on for one roster, with the plain rows taken on their bytes or not. */
function passOver(text: string, plainRows: boolean, suppressed?: SuppressionIndex) {
  const bytes = Buffer.from(text, 'utf8');
  let active: { fingerprint: string; dids: string[] } | undefined;
  const pass = new DayPass(
    { suppressed, onActive: (a) => (active = { fingerprint: a.fingerprint, dids: [...a.dids()] }) },
    estimatedRows(bytes),
  );
  let taken = 0;
  const visitPlain: OnPlainRow = (row, i) => {
    const took = pass.visitPlain(row, i);
    if (took) taken++;
    return took;
  };
  const roster = parseRoster(bytes, pass.visit, undefined, plainRows ? visitPlain : undefined);
  pass.reportActive();
  const joined = pass.join({ columns: [], dids: dayDids() }, IMPLAUSIBLE, (i) => roster.rows.lineAt(i), '2026-11-23');
  const count = roster.rows.length;
  return {
    taken,
    seen: {
      columns: roster.columns,
      findings: [...roster.findings, ...pass.checker.finish(roster.rows)],
      suppressions: pass.suppressions,
      standings: [...pass.standingsByRow.subarray(0, count)],
      firstOfDid: [...pass.firstOfDidByRow.subarray(0, count)],
      active,
      joined,
      rows: [...roster.rows].map((r) => ({ ...r, firstName: r.firstName, lastName: r.lastName, timezone: r.timezone })),
    },
  };
}

describe('plain rows, taken on their bytes', () => {
  it('change nothing the day pass hands on: 600 random rosters, with and without suppressions', () => {
    let taken = 0;
    let rows = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const text = randomRoster(seed);
      const suppressed = seed % 2 === 0 ? SUPPRESSED : undefined;
      const made = passOver(text, false, suppressed);
      const plain = passOver(text, true, suppressed);
      expect(made.taken).toBe(0);
      if (JSON.stringify(plain.seen) !== JSON.stringify(made.seen))
        expect({ seed, text, ...plain.seen }).toEqual({ seed, text, ...made.seen });
      taken += plain.taken;
      rows += plain.seen.rows.length;
    }
    // Both ways are exercised: most rows, not all, are taken on their bytes.
    expect(taken / rows).toBeGreaterThan(0.05);
    expect(taken / rows).toBeLessThan(0.9);
  });

  it('check time zones as the rules do past the bound of the valid zones kept (1,200 spellings, and bad ones after)', () => {
    const zone = 'america/los_angeles';
    const spelling = (n: number): string =>
      [...zone].map((c, i) => (i < 12 && (n >> i) & 1 ? c.toUpperCase() : c)).join('');
    const lines = ['did,email,timezone'];
    for (let i = 0; i < 1200; i++) lines.push(`P${i},p${i}@example.org,${spelling(i)}`);
    lines.push('Q1,q1@example.org,America/Los_Angelez', 'Q2,q2@example.org,Mars/Olympus');
    const text = `${lines.join('\n')}\n`;
    const plain = passOver(text, true);
    expect(plain.taken).toBe(1200);
    expect(plain.seen.findings.map((f) => [f.code, f.row])).toEqual([
      ['timezone_invalid', 1202],
      ['timezone_invalid', 1203],
    ]);
    expect(JSON.stringify(plain.seen)).toBe(JSON.stringify(passOver(text, false).seen));
  });

  it('are most rows of a clean roster, and a duplicate DID or address among them is still found', () => {
    const lines = ['did,email,first_name,status,timezone'];
    for (let i = 1; i <= 200; i++) lines.push(`P${i},p${i}@example.org,Zoë,active,Europe/Paris`);
    lines.push('P7,P8@Example.ORG,Ann,Paused,');
    const plain = passOver(`${lines.join('\n')}\n`, true);
    expect(plain.taken).toBe(201);
    expect(plain.seen.findings.map((f) => [f.code, f.row])).toEqual([
      ['did_duplicate', 8],
      ['did_duplicate', 202],
    ]);
    const addresses = passOver(`${lines.join('\n').replace('Paused', 'active')}\n`, true);
    expect(addresses.seen.findings.map((f) => [f.code, f.row])).toEqual([
      ['did_duplicate', 8],
      ['did_duplicate', 202],
      ['email_duplicate', 9],
      ['email_duplicate', 202],
    ]);
  });
});
