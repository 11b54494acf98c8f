/**
 * A plain roster's rows are read again from the open file when they are used (a dry run's
 * messages) instead of being held. The file must then be the one validated: an edit in place
 * stops the run; a new file renamed over it (the Qualtrics sync, an editor) does not matter.
 */
import { mkdtempSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { openRosterFile, parseOpenRoster, readRosterFile } from '../../../src/roster/read.js';
import { DayPass } from '../../../src/validation/day-pass.js';

/**
 * As a dry run reads it: the rows stay in the open file, and the day's pass takes the plain ones
 * on their bytes (plain-row.ts), counted in `plainRows`.
 */
let plainRows = 0;
const openRoster = (path: string) => {
  const pass = new DayPass();
  return parseOpenRoster(openRosterFile(path), pass.visit, (row, i) => {
    const taken = pass.visitPlain(row, i);
    if (taken) plainRows++;
    return taken;
  });
};

const dir = mkdtempSync(join(tmpdir(), 'mu-file-rows-'));
const roster = (name: string, text: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const openFiles = (): number => readdirSync('/proc/self/fd').length;
const rows = 'did,email,first_name\r\nP1,a@x.org,Ana\r\n"P2"," b@x.org ","Bo, Jr."\nP3,c@x.org,Zoë\n';

describe('rows read again from the roster file', () => {
  it('come back as they were read, after a byte order mark too, plain rows and quoted ones', () => {
    for (const text of [rows, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rows)])]) {
      plainRows = 0;
      const { rows: store } = openRoster(roster('plain.csv', text));
      expect(plainRows).toBe(2); // P1 and P3; P2 has quoted values
      expect([...store].map((r) => [r.row, r.did, r.email, r.firstName])).toEqual([
        [2, 'P1', 'a@x.org', 'Ana'],
        [3, 'P2', 'b@x.org', 'Bo, Jr.'],
        [4, 'P3', 'c@x.org', 'Zoë'],
      ]);
      store.close();
    }
  });

  it('turn the packing separator (U+001F) into a space, as read, read again and read by csv-parse', () => {
    const withSep = 'did,email,first_name\nP1,a@x.org,An\u001fa\nP2,b@x.org,Bo\n';
    // A lone CR sends the file to csv-parse, whose rows are packed with the separator between values.
    const viaCsvParse = 'did,email,first_name\rP1,a@x.org,An\u001fa\rP2,b@x.org,Bo\r';
    const names = (store: Iterable<{ firstName: string }>) => [...store].map((r) => r.firstName);
    const fromFile = openRoster(roster('sep.csv', withSep)).rows;
    expect(names(fromFile)).toEqual(['An a', 'Bo']);
    fromFile.close();
    expect(names(readRosterFile(roster('sep-memory.csv', withSep)).rows)).toEqual(['An a', 'Bo']);
    expect(names(readRosterFile(roster('sep-csv-parse.csv', viaCsvParse)).rows)).toEqual(['An a', 'Bo']);
  });

  it('stop with roster_changed when the file is edited in place, and not when a new file is renamed over it', () => {
    plainRows = 0;
    const path = roster('edited.csv', rows);
    const edited = openRoster(path);
    writeFileSync(path, rows.replace('a@x.org', 'z@x.org'));
    expect(() => edited.rows.at(0)).toThrow(UsageError);
    expect(() => edited.rows.at(0)).toThrow(/changed while it was in use/);
    edited.rows.close();

    // Same size, and the time put back as it was: the record itself no longer matches.
    const path3 = roster('same-size.csv', rows);
    const sneaky = openRoster(path3);
    const { atime, mtime } = statSync(path3);
    writeFileSync(path3, rows.replace('a@x.org', 'z@x.org'));
    utimesSync(path3, atime, mtime);
    expect(() => sneaky.rows.at(0)).toThrow(/changed while it was in use/);
    sneaky.rows.close();

    const path2 = roster('replaced.csv', rows);
    const replaced = openRoster(path2);
    writeFileSync(`${path2}.new`, rows.replace('a@x.org', 'z@x.org'));
    renameSync(`${path2}.new`, path2);
    expect(replaced.rows.at(0)!.email).toBe('a@x.org');
    replaced.rows.close();
    expect(plainRows).toBe(6); // row 0, the one edited, was taken plain each time
  });

  it.runIf(process.platform === 'linux')(
    'leave no file open: closed by close(), and at once for a roster with no rows to keep',
    () => {
      const before = openFiles();
      const plain = roster('p.csv', rows);
      const headerOnly = roster('h.csv', 'did,email\n');
      const broken = roster('b.csv', 'did,email\nP1,"a@x.org\n');
      const utf16 = roster('u.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows, 'utf16le')]));
      for (let i = 0; i < 20; i++) {
        readRosterFile(plain).rows.close();
        readRosterFile(headerOnly);
        readRosterFile(broken);
        readRosterFile(utf16); // read into memory: the file is closed at once
      }
      expect(openFiles()).toBe(before);
      expect(readRosterFile(utf16).rows.at(1)!.firstName).toBe('Bo, Jr.');
    },
  );
});
