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
    expect(findingsFor('header-injection.csv')).toEqual([
      { code: 'name_control_characters', severity: 'warning', row: 3, did: 'P0001', column: 'first_name' },
    ]);
  });
});
