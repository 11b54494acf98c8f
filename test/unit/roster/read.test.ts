import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { estimatedRows, MAX_ESTIMATED_ROWS, parseRoster, readRosterFile } from '../../../src/roster/read.js';

const scenario = (name: string): Buffer =>
  readFileSync(resolve(import.meta.dirname, '../../../fixtures/scenarios', name));

describe('reading the roster CSV', () => {
  it('reads a valid roster, defaulting an empty status to active', () => {
    const roster = parseRoster(scenario('valid.csv'));
    expect(roster.findings).toEqual([]);
    expect([...roster.rows].map((r) => [r.row, r.did, r.status, r.firstName])).toEqual([
      [2, 'P0001', 'active', 'Ana'],
      [3, 'P0002', 'active', 'Zoë'],
    ]);
  });

  it('accepts a BOM, CRLF line ends and header names in any case with spaces', () => {
    const roster = parseRoster(scenario('bom-crlf.csv'));
    expect(roster.findings).toEqual([]);
    expect(roster.columns).toEqual(['did', 'email', 'first_name']);
    expect(roster.rows.at(1)!).toMatchObject({ did: 'P0002', email: 'bo@example.org', firstName: 'Bo' });
  });

  it('numbers rows by the line they start on, across a value spanning lines and a blank line', () => {
    const csv =
      'did,email,first_name,status,site\nP0001,a@example.org,Ana,,"North\nwing"\n\nP0002,b@example.org, Bo ,PAUSED,South\nP0003,c@example.org\n';
    const roster = parseRoster(Buffer.from(csv));
    expect([...roster.rows].map((r) => [r.row, r.did, r.firstName, r.status, r.shapeOk])).toEqual([
      [2, 'P0001', 'Ana', 'active', true],
      [5, 'P0002', 'Bo', 'paused', true],
      [6, 'P0003', '', 'active', false],
    ]);
    expect(roster.rows.at(0)!.values).toEqual(['P0001', 'a@example.org', 'Ana', '', 'North\nwing']);
    expect(roster.rows.at(2)!.values).toEqual(['P0003', 'c@example.org']);
    expect(roster.findings).toMatchObject([{ code: 'column_count', row: 6 }]);
  });

  it('reports an empty file as a run error, not a crash', () => {
    expect(parseRoster(scenario('empty.csv')).findings).toMatchObject([
      { code: 'roster_empty', scope: 'run', severity: 'error' },
    ]);
  });

  it('reports binary junk as "not text"', () => {
    const junk = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x00]), randomBytes(512)]);
    const { findings, rows } = parseRoster(junk);
    expect(rows.length).toBe(0);
    expect(findings).toMatchObject([{ code: 'roster_not_text', scope: 'run' }]);
  });

  it('reports unbalanced quotes with the line where the quoted field starts', () => {
    const { findings } = parseRoster(scenario('unbalanced-quotes.csv'));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'roster_malformed', scope: 'run', severity: 'error' });
    // The line the quote opened on, not the end of the file; the column by name.
    expect(findings[0]).toMatchObject({ row: 2, column: 'first_name' });
    expect(findings[0]!.message).toContain('the first_name value on line 2 is never closed');
    expect(findings[0]!.fix).toMatch(/quote/);
  });

  it('names the line and column of a stray quote, never its value (it may be an address)', () => {
    const roster = Buffer.from(
      'did,email,first_name\r\nP0001,ana@example.org,Ana\r\nP0002,bo@example.org",Bo\r\nP0003,cy@example.org,Cy\r\n',
    );
    const { findings, rows } = parseRoster(roster);
    expect(rows.length).toBe(0);
    expect(findings).toMatchObject([{ code: 'roster_malformed', row: 3, column: 'email' }]);
    expect(JSON.stringify(findings)).not.toContain('@example.org');
    expect(findings[0]!.message).toContain('On line 3, the email value has a double quote inside it');
  });

  it('blames the line where a quote opened when a later quote closes it', () => {
    const roster = Buffer.from(
      'did,email,first_name\nP0001,a@example.org,"Ana\nP0002,b@example.org,Bo\nP0003,c@example.org,"Cy, Jr",x\n',
    );
    const { findings } = parseRoster(roster);
    expect(findings).toMatchObject([{ code: 'roster_malformed', row: 2, column: 'first_name' }]);
    expect(findings[0]!.message).toContain('opens a double quote on line 2 that is only closed on line 4');
    expect(JSON.stringify(findings)).not.toContain('@example.org');
  });

  it('does not name a column from a first line that is not a header (it is a participant)', () => {
    const { findings } = parseRoster(Buffer.from('P1,alice@example.com,Alice\nP2,"bob@x.org"x,Bob\n'));
    expect(findings).toMatchObject([{ code: 'roster_malformed', row: 2 }]);
    expect(findings[0]!.column).toBeUndefined();
    expect(findings[0]!.message).toContain('value 2');
    expect(JSON.stringify(findings)).not.toMatch(/alice|bob|@/);
  });

  it('reads a roster whose rows mix CRLF and LF line endings, every row on its own line', () => {
    const roster = Buffer.from('did,email\r\nP0001,ana@example.org\nP0002,bo@example.org\r\nP0003,cy@example.org\n');
    const { findings, rows } = parseRoster(roster);
    expect(findings).toEqual([]);
    expect([...rows].map((r) => [r.row, r.did])).toEqual([
      [2, 'P0001'],
      [3, 'P0002'],
      [4, 'P0003'],
    ]);
  });

  it("keeps only the parser's error code when csv-parse refuses a file, not the value it quotes", () => {
    // Old Mac line endings go to csv-parse; a stray quote there is csv-parse's error.
    const { findings } = parseRoster(Buffer.from('did,email\rP0001,ana@example.org"x\r'));
    expect(findings).toMatchObject([{ code: 'roster_malformed', row: 2 }]);
    expect(JSON.stringify(findings)).not.toContain('@example.org');
    expect(findings[0]!.message).toContain('a double quote inside a value that is not wrapped in double quotes');
  });

  it('blocks rows whose column count differs from the header, naming each row (not its DID: a misaligned cell may be a name)', () => {
    const { findings, rows } = parseRoster(scenario('wrong-column-count.csv'));
    expect(findings.map((f) => [f.code, f.row, f.did])).toEqual([
      ['column_count', 3, undefined],
      ['column_count', 4, undefined],
    ]);
    expect([...rows].map((r) => r.shapeOk)).toEqual([true, false, false]);
  });

  it('reports a missing required column and a duplicated column', () => {
    expect(parseRoster(scenario('missing-email-column.csv')).findings).toMatchObject([
      { code: 'missing_column', column: 'email', row: 1 },
    ]);
    expect(parseRoster(scenario('duplicate-column.csv')).findings).toMatchObject([
      { code: 'duplicate_column', column: 'email' },
    ]);
  });

  it('throws a usage error naming the variable when the file does not exist', () => {
    expect(() => readRosterFile('/nonexistent/roster.csv')).toThrow(UsageError);
    expect(() => readRosterFile('/nonexistent/roster.csv')).toThrow(
      /PARTICIPANTS_CSV_PATH=\/nonexistent\/roster.csv does not exist/,
    );
  });
});

describe('roster values are bounded', () => {
  it('drops an oversized value and blocks its row with a finding naming row, column and size', () => {
    const csv = `did,email,first_name,site\nP001,a@example.org,${'n'.repeat(1001)},A\n${'D'.repeat(5000)},b@example.org,Bo,B\nP003,c@example.org,Cy,${'s'.repeat(900)}\n`;
    const roster = parseRoster(Buffer.from(csv));
    expect(roster.findings.map((f) => [f.code, f.row, f.column, f.did])).toEqual([
      ['cell_too_large', 2, 'first_name', 'P001'],
      ['cell_too_large', 3, 'did', undefined],
    ]);
    expect(roster.findings[0]!.message).toContain('1,001 characters');
    expect(JSON.stringify(roster.findings)).not.toContain('nnnnnnnnnn');
    expect([...roster.rows].map((r) => r.firstName)).toEqual(['', 'Bo', 'Cy']);
    expect(roster.rows.at(1)!.did).toBe('');
  });

  it('blocks a row that is too long as a whole', () => {
    const wide = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const csv = `did,email,${wide.join(',')}\nP001,a@example.org,${wide.map(() => 'v'.repeat(1000)).join(',')}\n`;
    const roster = parseRoster(Buffer.from(csv));
    expect(roster.findings.map((f) => [f.code, f.row, f.did])).toEqual([['row_too_large', 2, 'P001']]);
  });
});

describe('an absurd roster record', () => {
  it('over MAX_RECORD_CHARS is a whole-file error naming the line, not a crash', () => {
    const csv = `did,email,first_name\nP001,a@example.org,Ana\nP002,b@example.org,${'q'.repeat(33 * 1024 * 1024)}\n`;
    const roster = parseRoster(Buffer.from(csv));
    expect(roster.rows.length).toBe(0);
    expect(roster.findings.map((f) => [f.code, f.scope, f.row])).toEqual([['roster_row_too_large', 'run', 3]]);
    expect(roster.findings[0]!.message).toBe('Line 3 of the roster is over 32 MB long; the roster cannot be read.');
  });

  describe("the file's encoding and shape, each a roster-level error naming the fix", () => {
    const csv = 'did,email,first_name\nP0001,ana@example.org,Zoë\n';

    it('decodes UTF-16 (little- and big-endian) from its byte order mark', () => {
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
      const be = Buffer.from(le.subarray(2)).swap16();
      for (const bytes of [le, Buffer.concat([Buffer.from([0xfe, 0xff]), be])]) {
        const roster = parseRoster(bytes);
        expect(roster.findings).toEqual([]);
        expect(roster.rows.at(0)!).toMatchObject({ did: 'P0001', firstName: 'Zoë' });
      }
    });

    it('names the line of a Windows-1252 character and says to save as CSV UTF-8', () => {
      const bytes = Buffer.from(
        'did,email,first_name\nP0001,ana@example.org,Ana\nP0002,zoe@example.org,Zo\xeb\n',
        'latin1',
      );
      const { findings, rows } = parseRoster(bytes);
      expect(rows.length).toBe(0);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ code: 'roster_encoding', scope: 'run', severity: 'error', row: 3 });
      expect(findings[0]?.message).toContain('line 3');
      expect(findings[0]?.fix).toContain('CSV UTF-8');
    });

    it('names a semicolon or tab separator found in the header line', () => {
      for (const [separator, named] of [
        [';', 'semicolons'],
        ['\t', 'tabs'],
      ] as const) {
        const { findings, rows } = parseRoster(Buffer.from(csv.replaceAll(',', separator)));
        expect(rows.length).toBe(0);
        expect(findings).toHaveLength(1);
        expect(findings[0]).toMatchObject({ code: 'roster_separator', scope: 'run', row: 1 });
        expect(findings[0]?.message).toContain(named);
      }
    });

    it('a header with no rows is an error', () => {
      expect(parseRoster(Buffer.from('did,email\n')).findings).toMatchObject([
        { code: 'roster_no_rows', scope: 'run', severity: 'error' },
      ]);
    });
  });

  it("hands csv-parse's rows on only once the whole file is read: none from a file that turns out broken", () => {
    const seen: string[] = [];
    const onRow = (row: { did: string }) => seen.push(row.did);
    // Lone CR line endings go to csv-parse; the quote on the last row is never closed.
    const good = parseRoster(Buffer.from('did,email\rP1,a@x.org\rP2,b@x.org\r'), onRow);
    expect(good.rows.length).toBe(2);
    expect(seen).toEqual(['P1', 'P2']);
    seen.length = 0;
    const broken = parseRoster(Buffer.from('did,email\rP1,a@x.org\rP2,b@x.org\rP3,"c@x.org\r'), onRow);
    expect(broken.rows.length).toBe(0);
    expect(broken.findings[0]).toMatchObject({ code: 'roster_malformed' });
    expect(seen).toEqual([]);
  });

  it('estimates the number of rows from the first 64 KB (for sizing tables), close for a uniform roster', () => {
    const line = (i: number) => `P${String(i).padStart(6, '0')},person.${i}@example.org,Ann,Lee,Europe/London,active\n`;
    const big = Buffer.from(
      `did,email,first_name,last_name,timezone,status\n${Array.from({ length: 20_000 }, (_, i) => line(i)).join('')}`,
    );
    const estimate = estimatedRows(big);
    expect(estimate).toBeGreaterThan(19_000);
    expect(estimate).toBeLessThan(21_500);
    expect(estimatedRows(Buffer.from('did,email\nP1,a@x.org\n'))).toBe(2);
    expect(estimatedRows(Buffer.from('did,email'))).toBe(1);
    // 64 KB of empty lines and then long rows: a guess of millions would size tables by the gigabyte.
    const padded = Buffer.concat([Buffer.alloc(64 * 1024, 0x0a), Buffer.alloc(30 * 1024 * 1024, 0x61)]);
    expect(estimatedRows(padded)).toBe(MAX_ESTIMATED_ROWS);
  });
});
