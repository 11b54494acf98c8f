/**
 * The roster's CSV records, one at a time, each with the line it starts on (the header is line 1).
 *
 * A roster exported from a spreadsheet or Qualtrics is plain: commas, CRLF or LF line endings,
 * quotes only around whole values. Such a file is read here directly, about five times faster
 * than csv-parse (whose per-record bookkeeping was most of validate-participants' time at 100,000
 * rows). Misplaced quotes are reported here, naming the line where the trouble starts and the
 * column, never the value (it may be an address). What is merely unusual (old Mac CR line
 * endings, a record over 1 MB) is left to csv-parse. A test feeds both readers random CSV and
 * requires the same records wherever the fast one accepts.
 *
 * Records are decoded per record from UTF-8 bytes, so each is a fresh string: slices of the
 * whole text would keep all of it alive (and two bytes a character, if any name needs that).
 */

import { requireCommonJs } from '../util/commonjs.js';
import { MAX_RECORD_CHARS } from './bounds.js';

/**
 * A record's values and the line it starts on. The plain reader also gives where the record is in
 * the bytes (`span`), so that a caller can keep the bytes instead of the values and read the
 * record again with `recordValues`.
 */
export type OnRecord = (record: string[], row: number, span?: RecordSpan) => void;

/** Where a record is: `bytes` (the roster's UTF-8) from `start` to `end`. */
export interface RecordSpan {
  bytes: Buffer;
  start: number;
  end: number;
  quoted: boolean;
}

/** Quoting that no CSV reader can make sense of, found before any record was handed on. */
export class CsvQuoteError extends Error {
  override readonly name = 'CsvQuoteError';
  constructor(
    readonly problem: 'quote_not_closed' | 'quote_inside_value' | 'text_after_quote',
    /** The line where the value starts (a quoted one: where its quote opened). */
    readonly line: number,
    /** 0-based position of the value in its record. */
    readonly field: number,
    /** text_after_quote: the line of the closing quote, later than `line` when the value spans lines. */
    readonly closedOn = line,
  ) {
    super(`${problem} at line ${line}, value ${field + 1}`);
  }
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
/** Longer records (a pasted document, quoting gone wrong) go to csv-parse, which bounds and names them. */
const MAX_PLAIN_RECORD_BYTES = 1024 * 1024;

/**
 * Every record: the plain reader where it can, csv-parse otherwise (which throws on malformed
 * CSV). `utf8` is the roster without a byte order mark; `text()` decodes it, only when needed.
 * Throws CsvQuoteError for misplaced quotes.
 */
export function readCsvRecords(
  roster: { utf8: Buffer; text: () => string },
  onRecord: OnRecord,
  onUnquoted?: OnUnquoted,
): void {
  if (!readPlainCsv(roster.utf8, onRecord, onUnquoted)) readWithCsvParse(roster.text(), onRecord);
}

/**
 * Offered each unquoted record of a plain CSV, as its place in the bytes, before its values are
 * made: true when it has been taken so (read.ts, plain rows), false for `onRecord` to have it.
 */
export type OnUnquoted = (start: number, end: number, line: number) => boolean;

type CsvParse = typeof import('csv-parse/sync');
let csvParse: CsvParse['parse'] | undefined;

/** csv-parse, loaded when first needed: only unusual files are read by it, and loading it was 15 ms of every command's start. */
function csvParser(): CsvParse['parse'] {
  csvParse ??= (requireCommonJs('csv-parse/sync') as CsvParse).parse;
  return csvParse;
}

/** csv-parse, keeping no records: the parser's own array of every record was the dry run's largest allocation. */
export function readWithCsvParse(text: string, onRecord: OnRecord): void {
  let quotedCrs = 0;
  csvParser()(text, {
    bom: true,
    // Any of the three, mixed: an edited file can have rows of both kinds (csv-parse would
    // otherwise keep only the first it meets and merge the others' rows).
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (record: string[], info: { lines: number }) => {
      // info.lines is where the record ends; a quoted value may span lines, and the row is
      // numbered by the line it starts on. csv-parse also counts every CR inside quotes as a
      // line (a quoted CRLF as two), where an editor counts line feeds: those CRs, this
      // record's and all before it, are taken off.
      let inside = 0;
      for (const value of record) {
        for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) inside++;
        for (let i = value.indexOf('\r'); i !== -1; i = value.indexOf('\r', i + 1)) quotedCrs++;
      }
      onRecord(record, info.lines - inside - quotedCrs);
      return null;
    },
  });
}

/**
 * Reads a plain CSV and returns true, or returns false having called `onRecord` for nothing: the
 * whole text is checked before the first record is handed on. Misplaced quotes throw CsvQuoteError.
 */
export function readPlainCsv(bytes: Buffer, onRecord: OnRecord, onUnquoted?: OnUnquoted): boolean {
  // A (second) byte order mark: csv-parse's rules apply.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  const checked = walkRecords(bytes);
  if (checked instanceof CsvQuoteError) throw checked;
  if (!checked) return false;
  walkRecords(bytes, (start, end, quoted, line) => {
    if (!quoted && onUnquoted?.(start, end, line)) return;
    onRecord(recordValues(bytes, start, end, quoted), line, { bytes, start, end, quoted });
  });
  return true;
}

/** The values of a record the plain reader found between `start` and `end` (see OnRecord). */
export function recordValues(bytes: Buffer, start: number, end: number, quoted: boolean): string[] {
  // No encoding named is UTF-8 without the look-up of one, which was a tenth of the decoding.
  const source = bytes.toString(undefined, start, end);
  return quoted ? quotedValues(source) : splitAtCommas(source);
}

/**
 * `source.split(',')`, which V8 does about a third slower for records this short (7 values of
 * 10–30 characters): a tenth of validate-participants' time at 100,000 rows.
 */
function splitAtCommas(source: string): string[] {
  const values: string[] = [];
  let from = 0;
  for (let comma = source.indexOf(','); comma !== -1; comma = source.indexOf(',', from)) {
    values.push(source.slice(from, comma));
    from = comma + 1;
  }
  values.push(source.slice(from));
  return values;
}

type SpanVisitor = (start: number, end: number, quoted: boolean, line: number) => void;

/**
 * The records' byte spans (line ending excluded; empty lines skipped, as csv-parse's
 * skip_empty_lines). False where csv-parse should read it instead (a CR alone, a record over
 * 1 MB); a CsvQuoteError where the quoting is wrong.
 *
 * Most lines have no quote: those are found with indexOf (memchr) for the line feed, the next
 * quote and the next CR, so that the bytes are not looked at one by one in JavaScript (that walk,
 * done twice, was a fifth of validate-participants' time at 100,000 rows). A line with a quote
 * is read value by value (`quotedRecord`).
 */
function walkRecords(bytes: Buffer, onSpan?: SpanVisitor): boolean | CsvQuoteError {
  const n = bytes.length;
  const next = (byte: number, from: number): number => {
    const at = bytes.indexOf(byte, from);
    return at === -1 ? n : at;
  };
  let nextQuote = next(QUOTE, 0);
  let nextCr = next(CR, 0);
  let line = 1;
  let i = 0;
  while (i < n) {
    const lineFeed = next(LF, i);
    if (nextQuote < lineFeed) {
      const record = quotedRecord(bytes, i, line);
      if (record === false || record instanceof CsvQuoteError) return record;
      if (record.end > i) onSpan?.(i, record.end, record.quoted, line);
      i = record.next;
      line = record.nextLine;
      if (nextQuote < i) nextQuote = next(QUOTE, i);
      if (nextCr < i) nextCr = next(CR, i);
      continue;
    }
    let end = lineFeed;
    if (nextCr < lineFeed) {
      // Only as the CR of a CRLF; a CR anywhere else (old Mac line endings, a stray CR) is csv-parse's.
      if (nextCr !== lineFeed - 1 || lineFeed === n) return false;
      end = nextCr;
      nextCr = next(CR, lineFeed);
    }
    if (end - i > MAX_PLAIN_RECORD_BYTES) return false;
    if (end > i) onSpan?.(i, end, false, line);
    i = lineFeed + 1;
    line++;
  }
  return true;
}

interface QuotedRecord {
  /** Where the record's bytes end (its line ending excluded). */
  end: number;
  quoted: boolean;
  /** Where the next record starts, and its line. */
  next: number;
  nextLine: number;
}

/** One record from `start`, value by value: a quoted value may hold commas and line breaks. */
function quotedRecord(bytes: Buffer, start: number, startLine: number): QuotedRecord | false | CsvQuoteError {
  const n = bytes.length;
  let line = startLine;
  let i = start;
  let quoted = false;
  // One value per turn; i ends on the comma, the line ending or n.
  for (let field = 0; ; field++) {
    if (bytes[i] === QUOTE) {
      quoted = true;
      const opened = line;
      for (i++; ; ) {
        const close = bytes.indexOf(QUOTE, i);
        if (close === -1) return new CsvQuoteError('quote_not_closed', opened, field);
        // Line feeds inside the quotes only: a search bounded by the closing quote, or a long
        // line of quoted values would be scanned to its end once per value.
        if (close > i) {
          const inside = bytes.subarray(i, close);
          for (let k = inside.indexOf(LF); k !== -1; k = inside.indexOf(LF, k + 1)) line++;
        }
        i = close + 1;
        if (bytes[i] !== QUOTE) break;
        i++; // "" inside quotes
      }
      if (i < n && bytes[i] !== COMMA && bytes[i] !== LF && bytes[i] !== CR)
        return new CsvQuoteError('text_after_quote', opened, field, line);
    } else {
      while (i < n) {
        const b = bytes[i]!;
        if (b === COMMA || b === LF || b === CR) break;
        if (b === QUOTE) return new CsvQuoteError('quote_inside_value', line, field);
        i++;
      }
    }
    if (i - start > MAX_PLAIN_RECORD_BYTES) return false; // said as soon as it is known
    if (i < n && bytes[i] === COMMA) {
      i++;
      continue;
    }
    break;
  }
  const end = i;
  if (i < n) {
    if (bytes[i] === CR && bytes[i + 1] !== LF) return false; // old Mac line endings, or a stray CR
    i += bytes[i] === CR ? 2 : 1;
    line++;
  }
  return { end, quoted, next: i, nextLine: line };
}

/** The values of one record that has quoted values, already known to be well formed. */
function quotedValues(source: string): string[] {
  const values: string[] = [];
  let i = 0;
  for (;;) {
    if (source.charCodeAt(i) === QUOTE) {
      let value = '';
      for (i++; ; ) {
        const close = source.indexOf('"', i);
        value += source.slice(i, close);
        i = close + 1;
        if (source.charCodeAt(i) !== QUOTE) break;
        value += '"';
        i++;
      }
      values.push(value);
    } else {
      const comma = source.indexOf(',', i);
      values.push(source.slice(i, comma === -1 ? source.length : comma));
      i = comma === -1 ? source.length : comma;
    }
    if (i >= source.length) return values;
    i++; // the comma
    if (i === source.length) {
      values.push('');
      return values;
    }
  }
}
