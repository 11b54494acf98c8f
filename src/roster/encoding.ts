/**
 * The roster's bytes as text, or a roster-level finding that names what is wrong with the file
 * (its encoding or its separator) and how to save it properly. Spreadsheets offer several
 * "CSV" and "text" formats; only "CSV UTF-8" is what we read, but UTF-16 (Excel's "Unicode
 * Text") is unambiguous from its byte order mark, so it is decoded rather than refused.
 */
import { isUtf8 } from 'node:buffer';
import type { Finding } from '../finding.js';

const saveAsUtf8 =
  'In Excel: File → Save As → "CSV UTF-8 (Comma delimited) (*.csv)"; in Google Sheets: File → Download → Comma-separated values.';

function fileError(code: string, message: string, fix: string, row?: number): Finding {
  return { severity: 'error', scope: 'run', code, message, fix, ...(row === undefined ? {} : { row }) };
}

/**
 * The roster as UTF-8 bytes without a byte order mark, and its text on demand: a plain roster is
 * read from the bytes (csv-records.ts), so a 100,000-row file is not also held as one string.
 */
export type Decoded = { utf8: Buffer; text: () => string } | { finding: Finding };

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function fromText(text: string): Decoded {
  return { utf8: Buffer.from(text, 'utf8'), text: () => text };
}

function fromUtf8(bytes: Buffer): Decoded {
  const utf8 = bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
  let text: string | undefined;
  return { utf8, text: () => (text ??= utf8.toString('utf8')) };
}

/** The 1-based line of byte `offset`. */
function lineOf(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong and surrogate forms are rare in practice; TextDecoder has already said "invalid".
    i += length;
  }
  return 0;
}

export function decodeRoster(bytes: Buffer): Decoded {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    try {
      return fromText(new TextDecoder(encoding, { fatal: true }).decode(bytes)); // drops the BOM
    } catch {
      return {
        finding: fileError(
          'roster_encoding',
          'The roster starts like UTF-16 text (a byte order mark) but is not valid UTF-16.',
          saveAsUtf8,
        ),
      };
    }
  }
  if (bytes.includes(0)) {
    return {
      finding: fileError(
        'roster_not_text',
        'The roster contains NUL bytes: it is not a CSV file (it looks like a binary file, e.g. .xlsx).',
        saveAsUtf8,
      ),
    };
  }
  if (isUtf8(bytes)) return fromUtf8(bytes);
  const line = lineOf(bytes, firstInvalidUtf8(bytes));
  return {
    finding: fileError(
      'roster_encoding',
      `The roster is not UTF-8: line ${line} has a character in another encoding (probably Windows-1252, which Excel's plain "CSV (Comma delimited)" writes).`,
      `Save the roster as "CSV UTF-8". ${saveAsUtf8}`,
      line,
    ),
  };
}

/** The first line, for telling the separator (a header is short; a line ending ends it). */
export function headerLine(utf8: Buffer): string {
  const end = utf8.indexOf(0x0a);
  const line = utf8.toString('utf8', 0, end === -1 ? Math.min(utf8.length, 64 * 1024) : Math.min(end, 64 * 1024));
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Nothing but white space (checked on the bytes; the text is decoded only when there is more than ASCII). */
export function isBlank(decoded: { utf8: Buffer; text: () => string }): boolean {
  for (const b of decoded.utf8) {
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    return b >= 0x80 ? /^\s*$/.test(decoded.text()) : false;
  }
  return true;
}

const SEPARATORS: readonly [string, string][] = [
  [';', 'semicolons (;)'],
  ['\t', 'tabs'],
];

/**
 * A header line with no comma but with semicolons or tabs: the file was saved with another
 * separator (Excel in many European locales writes `;`; "Unicode Text" writes tabs).
 */
export function separatorFinding(header: string): Finding | undefined {
  if (header.includes(',')) return undefined;
  for (const [separator, name] of SEPARATORS) {
    if (!header.includes(separator)) continue;
    return fileError(
      'roster_separator',
      `The roster's header line separates its columns with ${name}, not commas.`,
      `Save the roster as "CSV UTF-8" with commas between values. ${saveAsUtf8}`,
      1,
    );
  }
  return undefined;
}
