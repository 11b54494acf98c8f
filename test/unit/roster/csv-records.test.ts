/**
 * The roster's plain-CSV reader against csv-parse: on random CSV built from the characters that
 * matter (commas, quotes, CR, LF, non-ASCII), wherever the plain reader accepts a text it must
 * give the same records on the same lines as csv-parse; where it declines, it must have handed
 * on nothing. A real roster must take the plain path, or the speed it exists for is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvQuoteError, readPlainCsv, readWithCsvParse } from '../../../src/roster/csv-records.js';
import { seededRandom as random } from '../../support/random.js';
import { makeWorkspace } from '../../support/workspace.js';

type Read = [string[], number][];

/** The plain reader's records; undefined where it leaves the text to csv-parse; the error where the quoting is wrong. */
function plain(text: string): Read | undefined | CsvQuoteError {
  const out: Read = [];
  try {
    return readPlainCsv(Buffer.from(text, 'utf8'), (record, row) => out.push([record, row])) ? out : undefined;
  } catch (error) {
    if (error instanceof CsvQuoteError) return error;
    throw error;
  }
}

function reference(text: string): Read | Error {
  const out: Read = [];
  try {
    readWithCsvParse(text, (record, row) => out.push([record, row]));
    return out;
  } catch (error) {
    return error as Error;
  }
}

const PIECES = ['a', 'bc', 'é', '中', '😀', ' ', ',', ',', '"', '""', '\n', '\n', '\r\n', '\r', 'P0001', 'x@y.org'];

/** Either free-form noise, or a well-formed CSV (mostly quoting right), with one line ending. */
function randomCsv(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  if (next() < 0.3) return Array.from({ length: 1 + Math.floor(next() * 30) }, () => pick(PIECES)).join('');
  const eols = next() < 0.8 ? [pick(['\n', '\r\n'])] : ['\n', '\r\n']; // sometimes both, row by row
  const value = (): string => {
    const raw = Array.from({ length: Math.floor(next() * 4) }, () => pick(PIECES)).join('');
    if (/[",\r\n]/.test(raw) || next() < 0.2) return `"${raw.replaceAll('"', '""')}"`;
    return raw;
  };
  const rows = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
    next() < 0.1 ? '' : Array.from({ length: 1 + Math.floor(next() * 4) }, value).join(','),
  );
  return rows.map((row, i) => (i === rows.length - 1 && next() < 0.5 ? row : row + pick(eols))).join('');
}

describe('the plain CSV reader', () => {
  it('gives csv-parse’s records and lines wherever it accepts, and refuses only what csv-parse refuses, on 20,000 random texts', () => {
    let accepted = 0;
    let declined = 0;
    let refused = 0;
    for (let seed = 1; seed <= 20_000; seed++) {
      const text = randomCsv(random(seed));
      const fast = plain(text);
      if (fast === undefined) {
        declined++;
        continue;
      }
      if (fast instanceof CsvQuoteError) {
        refused++;
        expect(reference(text), `seed ${seed}: ${JSON.stringify(text)}`).toBeInstanceOf(Error);
        continue;
      }
      accepted++;
      const expected = reference(text);
      expect(expected, `seed ${seed}: ${JSON.stringify(text)}`).not.toBeInstanceOf(Error);
      expect(fast, `seed ${seed}: ${JSON.stringify(text)}`).toEqual(expected);
    }
    // Every path is exercised: a reader that declined everything would pass the loop above.
    expect(accepted).toBeGreaterThan(5_000);
    expect(declined).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(1_000);
  });

  it('names the line and the value where the quoting goes wrong, handing on nothing', () => {
    for (const [text, problem, line, field] of [
      ['did,email\nP1,"a"b\n', 'text_after_quote', 2, 1],
      ['did,email\nP1,a"b\n', 'quote_inside_value', 2, 1],
      // Never closed: the line where it opened, not the end of the file.
      ['did,email,name\r\nP1,a,b\r\nP2,"open,x\r\nP3,c,d\r\nP4,e,f\r\n', 'quote_not_closed', 3, 1],
    ] as const) {
      const seen: unknown[] = [];
      const thrown = (() => {
        try {
          readPlainCsv(Buffer.from(text, 'utf8'), (record) => seen.push(record));
        } catch (error) {
          return error;
        }
      })();
      expect(thrown, text).toBeInstanceOf(CsvQuoteError);
      expect(thrown).toMatchObject({ problem, line, field });
      expect(seen).toEqual([]);
    }
  });

  it('leaves to csv-parse what it reads differently, handing on nothing', () => {
    for (const text of [
      'did,email\rP1,a\r', // old Mac line endings
      '\ufeffdid,email\nP1,a\n', // a byte order mark left in the text
      `did,email\nP1,${'x'.repeat(1024 * 1024 + 1)}\n`, // over 1 MB: csv-parse bounds it
    ]) {
      const seen: unknown[] = [];
      expect(
        readPlainCsv(Buffer.from(text, 'utf8'), (record) => seen.push(record)),
        JSON.stringify(text.slice(0, 40)),
      ).toBe(false);
      expect(seen).toEqual([]);
    }
  });

  it('reads rows with CRLF and LF mixed, as an edited file has them', () => {
    const text = 'did,email\r\nP1,a\nP2,b\r\nP3,c';
    expect(plain(text)).toEqual([
      [['did', 'email'], 1],
      [['P1', 'a'], 2],
      [['P2', 'b'], 3],
      [['P3', 'c'], 4],
    ]);
    expect(reference(text)).toEqual(plain(text));
  });

  it('reads quoted values, empty lines and a last line without a line ending, numbering rows by the line they start on', () => {
    const text = 'did,email,note\r\n\r\nP1,a@b.org,"two\r\nlines, one ""quote"""\r\nP2,c@d.org,\r\nP3,"",last';
    expect(plain(text)).toEqual([
      [['did', 'email', 'note'], 1],
      [['P1', 'a@b.org', 'two\r\nlines, one "quote"'], 3],
      [['P2', 'c@d.org', ''], 5],
      [['P3', '', 'last'], 6],
    ]);
  });

  it('takes the plain path for a generated roster, and agrees with csv-parse on every scenario roster', () => {
    const ws = makeWorkspace({ participants: 200 });
    try {
      const text = readFileSync(ws.fixture.rosterPath, 'utf8');
      expect(plain(text)).toBeDefined();
      expect(plain(text)).toEqual(reference(text));
    } finally {
      ws.cleanup();
    }
    const scenarios = join(import.meta.dirname, '../../../fixtures/scenarios');
    let accepted = 0;
    for (const name of readdirSync(scenarios).filter((f) => f.endsWith('.csv'))) {
      // As the roster reader sees it: decoded, without the byte order mark.
      const text = new TextDecoder('utf-8').decode(readFileSync(join(scenarios, name)));
      const read = plain(text);
      if (read === undefined) continue;
      if (read instanceof CsvQuoteError) {
        expect(reference(text), name).toBeInstanceOf(Error);
        continue;
      }
      accepted++;
      expect(read, name).toEqual(reference(text));
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('stays linear on hostile shapes (one long line of quoted values, a file of quotes)', () => {
    // Each shape once took time quadratic in its size; the test's timeout is the guard.
    const longLine = Buffer.from(`did,email\n${'"a",'.repeat(500_000)}\n`);
    expect(readPlainCsv(longLine, () => undefined)).toBe(false); // over 1 MB: csv-parse bounds it
    expect(readPlainCsv(Buffer.alloc(8 * 1024 * 1024, 0x22), () => undefined)).toBe(false);
    const manyShortQuoted = Buffer.from(`did,email\n${`"P1","a",\n`.repeat(200_000)}`);
    let records = 0;
    expect(readPlainCsv(manyShortQuoted, () => records++)).toBe(true);
    expect(records).toBe(200_001);
  }, 20_000);
});
