/**
 * Reads the roster CSV into rows keyed by normalised column names. Anything wrong with the file
 * itself (not text, malformed quoting, missing columns) comes back as findings, never a throw.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Finding } from '../finding.js';
import { boundRecord, MAX_RECORD_CHARS } from './bounds.js';
import { CsvQuoteError, type RecordSpan, readCsvRecords } from './csv-records.js';
import { decodeRoster, headerLine, isBlank, separatorFinding, UTF8_BOM } from './encoding.js';
import { PlainRow } from './plain-row.js';
import { bytesInMemory, cleanValues, type Layout, type RowBytes, RowStore, SEP_BYTE } from './row-store.js';

export const ROSTER_STATUSES = ['active', 'paused', 'withdrawn', 'opted_out'] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];
export const REQUIRED_COLUMNS = ['did', 'email'] as const;

import type { RosterRow } from './row-store.js';

export type { RosterRow };

export interface Roster {
  columns: string[];
  /** Kept as bytes; each row is made when it is read (row-store.ts). */
  rows: RowStore;
  findings: Finding[];
}

const fileFix = 'Re-export the roster from the spreadsheet or Qualtrics as "CSV UTF-8" and check the named line.';

/** The roster's bytes, or an error that says how to point PARTICIPANTS_CSV_PATH at it. */
export function readRosterBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw rosterUnreadable(path, error);
  }
}

function rosterUnreadable(path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UsageError(
    code === 'ENOENT'
      ? `The roster PARTICIPANTS_CSV_PATH=${path} does not exist. Point PARTICIPANTS_CSV_PATH at the roster CSV, or run \`npx mail-updater create-fixture\` for a local test roster.`
      : `Cannot read the roster PARTICIPANTS_CSV_PATH=${path} (${code ?? 'error'}). Check the path and its permissions.`,
    'roster_unreadable',
  );
}

/** Each row, as it is read, is also handed to `onRow`: one pass for the reading and the checks. */
export type OnRow = (row: RosterRow, index: number) => void;

/**
 * Offered a plain row (plain-row.ts) on its bytes before it is made: true when it has taken it
 * so, and the row is kept without being made; false for it to be made and given to `onRow`.
 */
export type OnPlainRow = (row: PlainRow, index: number) => boolean;

/** The roster as read, its file still open: `parseOpenRoster` next (or `close()`). */
export interface OpenRoster {
  bytes: Buffer;
  file: FileRows;
}

/** Reads the roster, keeping the file open for the rows to be read again later (row-store.ts). */
export function openRosterFile(path: string): OpenRoster {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw rosterUnreadable(path, error);
  }
  try {
    const bytes = readFileSync(fd);
    return { bytes, file: rowsInFile(fd, path, fstatSync(fd), bytes.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0) };
  } catch (error) {
    closeSync(fd);
    throw rosterUnreadable(path, error);
  }
}

/** Parses an opened roster; the rows keep the file (closed by `rows.close()`, or when dropped). */
export function parseOpenRoster(opened: OpenRoster, onRow?: OnRow, onPlainRow?: OnPlainRow): Roster {
  let roster: Roster | undefined;
  try {
    roster = parseRoster(opened.bytes, onRow, opened.file, onPlainRow);
    return roster;
  } finally {
    if (!roster?.rows.readsFrom(opened.file)) opened.file.close();
  }
}

/** The most rows `estimatedRows` answers: the two tables of RosterChecker sized for it take about 14 MB. */
export const MAX_ESTIMATED_ROWS = 256 * 1024;

/**
 * About how many rows a roster of these bytes has, from the line lengths of its first 64 KB:
 * enough to size tables once (a wrong guess only costs a growth or some spare room). Never more
 * than MAX_ESTIMATED_ROWS: a file that starts with thousands of empty lines, or is not a roster
 * at all, must not size tables by the gigabyte; a larger study's tables grow as they fill.
 */
export function estimatedRows(bytes: Buffer): number {
  const sampleEnd = Math.min(bytes.length, 64 * 1024);
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < sampleEnd; i = bytes.indexOf(0x0a, i + 1)) lines++;
  return lines === 0 ? 1 : Math.min(MAX_ESTIMATED_ROWS, Math.ceil((lines * bytes.length) / sampleEnd));
}

/** Reads and parses the roster; its rows are read again from memory (see openRosterFile for a dry run's). */
export function readRosterFile(path: string, onRow?: OnRow): Roster {
  return parseRoster(readRosterBytes(path), onRow);
}

/** Rows kept as places in the open file, `base` bytes in (after a byte order mark). */
type FileRows = RowBytes & { base: number; close: () => void };

/**
 * Rows read again from the open file, at `base` (after a byte order mark). The file must be as
 * it was read: edited in place meanwhile (a rename over it is fine, the open file is the old
 * one), the rows could be another participant's, so that is an error, not a guess.
 */
function rowsInFile(fd: number, path: string, stat: Stats, base: number): FileRows {
  let closed = false;
  const changed = (): UsageError =>
    new UsageError(
      `The roster PARTICIPANTS_CSV_PATH=${path} was changed while it was in use (edited in place); this run stopped, and nothing was sent. Run it again; to change the roster during a run, replace the file (write a new one and rename it) instead.`,
      'roster_changed',
    );
  return {
    base,
    changed,
    read: (start, end) => {
      // A closed number may be another file's by now: never read through it.
      if (closed) throw new Error('The roster file was read after it was closed.');
      const now = fstatSync(fd);
      if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) throw changed();
      const bytes = Buffer.alloc(end - start);
      if (readSync(fd, bytes, 0, bytes.length, base + start) !== bytes.length) throw changed();
      return bytes;
    },
    close: () => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

const NO_COLUMNS: Layout = { did: -1, email: -1, status: -1, firstName: -1, lastName: -1, timezone: -1 };

function runError(code: string, message: string, fix: string, row?: number): Finding {
  return { severity: 'error', scope: 'run', code, message, fix, ...(row === undefined ? {} : { row }) };
}

/** The row as a record by column name, for the templates. */
export function rosterFields(columns: readonly string[], row: RosterRow): Record<string, string> {
  const fields: Record<string, string> = {};
  columns.forEach((column, i) => {
    if (column !== '') fields[column] = row.values[i] ?? '';
  });
  return fields;
}

/**
 * `onRow` sees every row as it is read; if the file then turns out unreadable (only csv-parse,
 * for unusual files, finds that late), the roster comes back with no rows and a run error.
 * `onPlainRow`, with `onRow`, is offered each plain row first (OnPlainRow).
 */
export function parseRoster(bytes: Buffer, onRow?: OnRow, file?: FileRows, onPlainRow?: OnPlainRow): Roster {
  const empty = (finding: Finding, value?: string): Roster => ({
    columns: [],
    rows: new RowStore(NO_COLUMNS),
    findings: [value === undefined ? finding : { ...finding, value }],
  });
  const decoded = decodeRoster(bytes);
  if ('finding' in decoded) return empty(decoded.finding);
  if (isBlank(decoded)) {
    return empty(
      runError(
        'roster_empty',
        'The roster file is empty.',
        'Export the roster again; it needs a header row (did,email,...) and one row per participant.',
      ),
    );
  }
  const separator = separatorFinding(headerLine(decoded.utf8));
  if (separator !== undefined) return empty(separator);

  let columns: string[] | undefined;
  let rows = new RowStore(NO_COLUMNS);
  const findings: Finding[] = [];
  let headerBroken = false;
  let deferred = false;
  // Made with the header, when rows may be taken plain.
  let plain: PlainRow | undefined;
  // Looked for once in the whole file rather than in each value (csv-parse's rows are always searched).
  const sepInFile = decoded.utf8.includes(SEP_BYTE);
  const onRecord = (record: string[], row: number, span?: RecordSpan): void => {
    if (columns === undefined) {
      columns = record.map((name) => name.trim().toLowerCase());
      findings.push(...headerFindings(columns));
      headerBroken = findings.some((f) => f.severity === 'error');
      const at = (name: string): number => columns!.indexOf(name);
      const layout: Layout = {
        did: at('did'),
        email: at('email'),
        status: at('status'),
        firstName: at('first_name'),
        lastName: at('last_name'),
        timezone: at('timezone'),
      };
      // Rows are read again from the file when its bytes are the text (UTF-8), else from memory.
      const inFile =
        file !== undefined &&
        decoded.utf8.buffer === bytes.buffer &&
        decoded.utf8.byteOffset - bytes.byteOffset === file.base;
      rows = new RowStore(layout, inFile ? file : bytesInMemory(decoded.utf8), bytes.length);
      if (onPlainRow !== undefined && onRow !== undefined && !headerBroken)
        plain = new PlainRow(decoded.utf8, layout, columns.length);
      return;
    }
    if (headerBroken) return;
    cleanValues(record, sepInFile || span === undefined);
    const oversized = boundRecord(columns, record, row);
    if (oversized.length > 0) findings.push(...oversized);
    const shapeOk = record.length === columns.length;
    if (!shapeOk) {
      findings.push({
        severity: 'error',
        scope: 'row',
        code: 'column_count',
        row,
        message: `This row has ${record.length} values but the header has ${columns.length} columns.`,
        fix: 'Check for a comma inside a value that is not quoted, or a missing value; quote values that contain commas.',
        // No DID: on a misaligned row the "did" cell may hold a name.
      });
    }
    // A value cut to its bound is kept as cut: such a row is not read again from the file.
    const made = rows.push(row, record, shapeOk, oversized.length === 0 ? span : undefined);
    // csv-parse (span undefined) may still find the file unreadable further on: its rows are
    // handed on once it has read them all, so that nothing acts on part of a broken roster.
    if (span !== undefined) onRow?.(made, rows.length - 1);
    else deferred = true;
  };
  const onUnquoted = (start: number, end: number, line: number): boolean => {
    if (plain === undefined || !plain.read(start, end, line) || !onPlainRow!(plain, rows.length)) return false;
    rows.pushPlain(line, decoded.utf8, start, end);
    return true;
  };
  try {
    readCsvRecords(decoded, onRecord, onPlainRow === undefined ? undefined : onUnquoted);
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    if ((error as { code?: string }).code === 'CSV_MAX_RECORD_SIZE')
      return empty(
        runError(
          'roster_row_too_large',
          `Line ${line ?? '?'} of the roster is over ${MAX_RECORD_CHARS / 1024 / 1024} MB long; the roster cannot be read.`,
          `Correct line ${line ?? '?'} (a value was probably pasted by mistake, or a double quote is not closed).`,
          line,
        ),
      );
    if (error instanceof CsvQuoteError) return empty(quoteFinding(error, headerLine(decoded.utf8)));
    // csv-parse's own message quotes the value (it may be an address): only its code is kept.
    const what = CSV_PARSE_PROBLEMS[(error as { code?: string }).code ?? ''];
    return empty(
      runError(
        'roster_malformed',
        `The roster is not valid CSV${line === undefined ? '' : ` (line ${line})`}${what === undefined ? '' : `: ${what}`}.`,
        `${fileFix} Look for an unclosed or stray double quote.`,
        line,
      ),
    );
  }
  if (columns === undefined) return empty(runError('roster_empty', 'The roster has no header row.', fileFix));
  if (deferred && onRow !== undefined && !headerBroken) for (let i = 0; i < rows.length; i++) onRow(rows.at(i)!, i);
  if (headerBroken) return { columns, rows: new RowStore(NO_COLUMNS), findings };
  if (rows.length === 0) {
    findings.push(
      runError(
        'roster_no_rows',
        'The roster has a header row but no participants.',
        'Export the roster again with its participants (one row per participant below the header).',
      ),
    );
  }
  return { columns, rows, findings };
}

/** csv-parse's error codes in words (its messages quote the value). */
const CSV_PARSE_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a double quote inside a value that is not wrapped in double quotes',
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing double quote of a value',
  CSV_QUOTE_NOT_CLOSED: 'a double quote that is never closed',
};

const quoting =
  'A value with a comma, a double quote or a line break must be wrapped in double quotes, and a double quote inside it written twice ("").';

/**
 * The column's name for a finding, only when the first line is a header (it names the did and
 * email columns): without one, the first line is a participant, and a "name" would be their data.
 */
function columnName(header: string, field: number): string | undefined {
  const names = header.split(',').map((cell) => cell.trim().replace(/^"|"$/g, '').toLowerCase());
  if (!REQUIRED_COLUMNS.every((required) => names.includes(required))) return undefined;
  const name = names[field];
  return name !== undefined && /^[\p{L}\p{N}_ .-]{1,64}$/u.test(name) ? name : undefined;
}

/** A misplaced quote, by line and column, never quoting the value (it may be an address). */
function quoteFinding(error: CsvQuoteError, header: string): Finding {
  // The header's names, read simply: a header needs no quoting, and this is only for wording.
  const name = error.line > 1 ? columnName(header, error.field) : undefined;
  const value = name ? `the ${name} value` : `value ${error.field + 1}`;
  const message =
    error.problem === 'quote_not_closed'
      ? `A double quote opened in ${value} on line ${error.line} is never closed, so everything after it would be read as one value.`
      : error.problem === 'text_after_quote'
        ? error.closedOn === error.line
          ? `On line ${error.line}, ${value} has text after its closing double quote.`
          : `${value[0]!.toUpperCase()}${value.slice(1)} opens a double quote on line ${error.line} that is only closed on line ${error.closedOn}, where text follows it: probably the quote on line ${error.line} is not closed.`
        : `On line ${error.line}, ${value} has a double quote inside it but is not wrapped in double quotes.`;
  const finding = runError(
    'roster_malformed',
    `The roster is not valid CSV. ${message}`,
    `Correct line ${error.line}. ${quoting}`,
    error.line,
  );
  return name ? { ...finding, column: name } : finding;
}

function headerFindings(columns: string[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '') continue;
    if (seen.has(column)) {
      findings.push({
        ...runError(
          'duplicate_column',
          'The header names a column more than once (names are compared case-insensitively).',
          'Rename or remove the extra column.',
          1,
        ),
        column,
      });
    }
    seen.add(column);
  }
  for (const required of REQUIRED_COLUMNS) {
    if (!seen.has(required)) {
      findings.push({
        ...runError(
          'missing_column',
          `The header has no "${required}" column.`,
          `Add a "${required}" column to the header row.`,
          1,
        ),
        column: required,
        // Without a header the first participant is read as one: its cells are not quoted.
        value: `found: ${columns.filter((c) => c !== '').join(', ') || 'none'}`,
      });
    }
  }
  return findings;
}
