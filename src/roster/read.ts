/**
 * Reads the roster CSV into rows keyed by normalised column names. Anything wrong with the file
 * itself (not text, malformed quoting, missing columns) comes back as findings, never a throw.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../errors.js';
import type { Finding } from '../finding.js';
import { boundRecord, MAX_RECORD_CHARS } from './bounds.js';
import { decodeRoster, separatorFinding } from './encoding.js';

export const ROSTER_STATUSES = ['active', 'paused', 'withdrawn', 'opted_out'] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];
export const REQUIRED_COLUMNS = ['did', 'email'] as const;

export interface RosterRow {
  /** Line number in the file, counting the header as row 1: what a spreadsheet shows. */
  row: number;
  did: string;
  email: string;
  firstName: string;
  lastName: string;
  timezone: string;
  /** As written (lower-cased); validated by the rules, defaults to active when empty. */
  status: string;
  /**
   * Every value in header order (see Roster.columns), including columns only the templates use
   * (e.g. site). An array rather than a record per row: it is the parser's own array, trimmed,
   * which keeps a 100,000-row roster small in memory. `rosterFields` gives the record.
   */
  values: string[];
  /** False when this row's column count differs from the header: its values cannot be trusted. */
  shapeOk: boolean;
}

export interface Roster {
  columns: string[];
  rows: RosterRow[];
  findings: Finding[];
}

const fileFix = 'Re-export the roster from the spreadsheet or Qualtrics as "CSV UTF-8" and check the named line.';

/** The roster's bytes, or an error that says how to point PARTICIPANTS_CSV_PATH at it. */
export function readRosterBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `The roster PARTICIPANTS_CSV_PATH=${path} does not exist. Point PARTICIPANTS_CSV_PATH at the roster CSV, or run \`npx mail-updater create-fixture\` for a local test roster.`
        : `Cannot read the roster PARTICIPANTS_CSV_PATH=${path} (${code ?? 'error'}). Check the path and its permissions.`,
      'roster_unreadable',
    );
  }
}

export function readRosterFile(path: string): Roster {
  return parseRoster(readRosterBytes(path));
}

interface ParsedRecord {
  record: string[];
  /** The line the record starts on (1-based). */
  row: number;
}

const baseOptions = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  max_record_size: MAX_RECORD_CHARS,
} as const;

/**
 * csv-parse's per-record line info halves its speed, so it is only asked for when needed: if the
 * file has exactly one line per record (no empty lines, no values spanning lines), record i is
 * on line i + 1.
 */
function parseRecords(text: string): ParsedRecord[] {
  const plain = parse(text, baseOptions) as string[][];
  let newlines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++;
  const lines = newlines + (text.endsWith('\n') ? 0 : 1);
  if (lines === plain.length) return plain.map((record, i) => ({ record, row: i + 1 }));
  const detailed = parse(text, { ...baseOptions, info: true, raw: true }) as unknown as {
    record: string[];
    raw: string;
    info: { lines: number };
  }[];
  // A quoted value may span lines: the row is numbered by the line it starts on.
  return detailed.map(({ record, raw, info }) => ({
    record,
    row: info.lines - (raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0),
  }));
}

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

export function parseRoster(bytes: Buffer): Roster {
  const empty = (finding: Finding, value?: string): Roster => ({
    columns: [],
    rows: [],
    findings: [value === undefined ? finding : { ...finding, value }],
  });
  const decoded = decodeRoster(bytes);
  if ('finding' in decoded) return empty(decoded.finding);
  const { text } = decoded;
  if (/^\s*$/.test(text)) {
    return empty(
      runError(
        'roster_empty',
        'The roster file is empty.',
        'Export the roster again; it needs a header row (did,email,...) and one row per participant.',
      ),
    );
  }
  const separator = separatorFinding(text);
  if (separator !== undefined) return empty(separator);

  let records: ParsedRecord[];
  try {
    records = parseRecords(text);
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
    return empty(
      runError(
        'roster_malformed',
        'The roster is not valid CSV.',
        `${fileFix} Look for an unclosed or stray double quote.`,
        line,
      ),
      // The parser's message quotes the offending value: CLI only.
      (error as Error).message,
    );
  }

  const [header, ...body] = records;
  if (header === undefined) return empty(runError('roster_empty', 'The roster has no header row.', fileFix));
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const findings = headerFindings(columns);
  if (findings.some((f) => f.severity === 'error')) return { columns, rows: [], findings };

  const rows: RosterRow[] = [];
  for (const { record, row } of body) {
    for (let i = 0; i < record.length; i++) record[i] = record[i]!.trim();
    findings.push(...boundRecord(columns, record, row));
    const value = (column: string): string => {
      const index = columns.indexOf(column);
      return index === -1 ? '' : (record[index] ?? '');
    };
    const did = value('did');
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
    rows.push({
      row,
      did,
      email: value('email'),
      firstName: value('first_name'),
      lastName: value('last_name'),
      timezone: value('timezone'),
      status: value('status').toLowerCase() || 'active',
      values: record,
      shapeOk,
    });
  }
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
