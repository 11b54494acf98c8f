import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRoster } from '../../../src/roster/read.js';
import { checkRosterRows } from '../../../src/roster/rules.js';

const findingsFor = (name: string) => {
  const roster = parseRoster(readFileSync(resolve(import.meta.dirname, '../../../fixtures/scenarios', name)));
  return checkRosterRows(roster.rows).map((f) => ({
    code: f.code,
    severity: f.severity,
    row: f.row,
    did: f.did,
    column: f.column,
  }));
};

describe('roster rules', () => {
  it('finds nothing wrong with a valid roster', () => {
    expect(findingsFor('valid.csv')).toEqual([]);
  });

  it('empty DID', () => {
    expect(findingsFor('empty-did.csv')).toEqual([
      { code: 'did_empty', severity: 'error', row: 3, did: undefined, column: 'did' },
    ]);
  });

  it('DID with characters that could escape the outbox folder', () => {
    expect(findingsFor('invalid-did.csv').map((f) => [f.code, f.row])).toEqual([
      ['did_invalid', 2],
      ['did_invalid', 3],
    ]);
  });

  it('duplicate DID blocks every row that has it', () => {
    expect(findingsFor('duplicate-did.csv')).toEqual([
      { code: 'did_duplicate', severity: 'error', row: 2, did: 'P0001', column: 'did' },
      { code: 'did_duplicate', severity: 'error', row: 4, did: 'P0001', column: 'did' },
    ]);
  });

  it('invalid and missing e-mail: errors for active participants, warnings for others', () => {
    expect(findingsFor('invalid-email.csv')).toEqual([
      { code: 'email_invalid', severity: 'error', row: 2, did: 'P0001', column: 'email' },
      { code: 'email_invalid', severity: 'error', row: 3, did: 'P0002', column: 'email' },
      { code: 'email_missing', severity: 'error', row: 4, did: 'P0003', column: 'email' },
      { code: 'email_invalid', severity: 'warning', row: 5, did: 'P0004', column: 'email' },
    ]);
  });

  it('never echoes the address itself in a finding', () => {
    const roster = parseRoster(
      readFileSync(resolve(import.meta.dirname, '../../../fixtures/scenarios/invalid-email.csv')),
    );
    const text = JSON.stringify(checkRosterRows(roster.rows));
    expect(text).not.toContain('ana@example');
    expect(text).not.toContain('bo at example.org');
  });

  it('duplicate e-mail (case-insensitive) blocks both participants', () => {
    expect(findingsFor('duplicate-email.csv').map((f) => [f.code, f.did])).toEqual([
      ['email_duplicate', 'P0001'],
      ['email_duplicate', 'P0002'],
    ]);
  });

  it('unknown status; statuses are case-insensitive', () => {
    expect(findingsFor('unknown-status.csv')).toEqual([
      { code: 'status_unknown', severity: 'error', row: 2, did: 'P0001', column: 'status' },
    ]);
  });

  it('invalid IANA time zone', () => {
    expect(findingsFor('invalid-timezone.csv')).toEqual([
      { code: 'timezone_invalid', severity: 'error', row: 2, did: 'P0001', column: 'timezone' },
    ]);
  });

  it('a name with a line break is a warning (it is cleaned before it reaches a header)', () => {
    // The row is numbered by the line it starts on (the quoted CRLF inside it is not a new row).
    expect(findingsFor('header-injection.csv')).toEqual([
      { code: 'name_control_characters', severity: 'warning', row: 2, did: 'P0001', column: 'first_name' },
    ]);
  });
});

const rosterOf = (csv: string) => parseRoster(Buffer.from(csv));

describe('name_control_characters', () => {
  it('flags U+0001–U+001E and U+007F in either name, and nothing else', () => {
    // (NUL would make the file look like UTF-16, a tab at either end is trimmed, and U+001F is
    // read as a space: it is the separator rows are packed with.)
    const names = ['A\u0001b', 'A\tb', 'a\u001eb', 'Ab\u007f', ' A b ', 'A\u0080b', 'Ab\u00a0c', 'Zoë'];
    const rows = names.flatMap((name, i) => [`F${i},f${i}@x.org,${name},Last`, `L${i},l${i}@x.org,First,${name}`]);
    const roster = rosterOf(`did,email,first_name,last_name\n${rows.join('\n')}\n`);
    expect(roster.findings).toEqual([]);
    const flagged = checkRosterRows(roster.rows)
      .filter((f) => f.code === 'name_control_characters')
      .map((f) => f.did);
    expect(flagged).toEqual(['F0', 'L0', 'F1', 'L1', 'F2', 'L2', 'F3', 'L3']);
  });
});

describe('email_suppressed (issue 9 §5)', () => {
  it('an active row using a withdrawn or opted-out address is blocked, naming both DIDs but not the address', () => {
    const roster = rosterOf(
      'did,email,status\nD1,a@x.org,withdrawn\nD2, A@X.org ,active\nD3,b@x.org,opted_out\nD4,B@x.org,\nD5,c@x.org,active\n',
    );
    const suppressed = checkRosterRows(roster.rows).filter((f) => f.code === 'email_suppressed');
    expect(suppressed.map((f) => [f.did, f.row, f.severity, f.scope])).toEqual([
      ['D2', 3, 'error', 'row'],
      ['D4', 5, 'error', 'row'],
    ]);
    expect(suppressed[0]!.message).toContain('D1');
    expect(suppressed[0]!.message).toContain('D2');
    expect(suppressed[1]!.message).toContain('D3');
    for (const f of suppressed) expect(JSON.stringify(f)).not.toMatch(/@x\.org/i);
  });
});

describe('findings quote no roster values (issue 9 §5)', () => {
  it('a misaligned row: the name is in value (CLI only), never in message, fix or did', () => {
    // The DID is missing, so every value slides one column to the left.
    const roster = rosterOf(
      'did,email,first_name,last_name,timezone,status\nP0001,p1@x.org,Ann,Lee,Europe/London,active\nJane Qwerty,jq@x.org,Jane,Qwerty,Qwerty Smith,Jane Q,extra\n',
    );
    const findings = [...roster.findings, ...checkRosterRows(roster.rows)];
    expect(findings.map((f) => f.code).sort()).toEqual([
      'column_count',
      'did_invalid',
      'status_unknown',
      'timezone_invalid',
    ]);
    for (const f of findings) {
      const { value: _value, ...rest } = f;
      expect(JSON.stringify(rest)).not.toMatch(/qwerty|jane/i);
      expect(f.row).toBe(3);
    }
    expect(findings.find((f) => f.code === 'timezone_invalid')?.value).toBe('Qwerty Smith');
    expect(findings.find((f) => f.code === 'status_unknown')?.value).toBe('jane q');
  });

  it('a row with a name-shaped DID on a misaligned row is named by row, not by that DID', () => {
    const roster = rosterOf('did,email,status\nQwerty,a@x.org,withdrawn,extra\nP0002,A@x.org,active\n');
    const suppressed = checkRosterRows(roster.rows).find((f) => f.code === 'email_suppressed');
    expect(suppressed?.message).toContain('row 2');
    expect(JSON.stringify([...roster.findings, ...checkRosterRows(roster.rows)])).not.toContain('Qwerty');
  });
});
