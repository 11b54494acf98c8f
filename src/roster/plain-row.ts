/**
 * A plain row: one of the many records no rule has anything to say about, checked on its bytes.
 *
 * Making every row's strings (decode, split, trim) and then testing them with regular
 * expressions was most of validate-participants' time at 100,000 rows. A row whose values are
 * plain (an unquoted record with one value per column, within the size bounds) is offered to the
 * pass on its bytes first: `plainStanding` says whether every row rule passes on those bytes, and
 * is conservative. Whenever it is unsure (a value to trim, a DID or address outside the simple
 * forms, a name with a control character, a withdrawn row), the row is made and checked as any
 * other, so every finding is still worded by rules.ts from the row itself. A test runs random
 * rosters through both ways and requires the same findings, standings and rows.
 */
import { isSimpleEmail } from '../mail/address.js';
import { isValidTimeZone } from '../util/dates.js';
import { StringTable } from '../util/string-table.js';
import { MAX_CELL_CHARS, MAX_ROW_CHARS } from './bounds.js';
import type { Layout } from './row-store.js';

const COMMA = 0x2c;

/** A plain record's values as places in the roster's bytes (one object, reused from row to row). */
export class PlainRow {
  /** starts[c] .. ends[c]: column c's value, as written (untrimmed). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Line number of the record, counting the header as 1 (RosterRow.row). */
  line = 0;

  constructor(
    readonly bytes: Buffer,
    readonly layout: Layout,
    private readonly columns: number,
  ) {
    this.starts = new Int32Array(columns);
    this.ends = new Int32Array(columns);
  }

  /**
   * Reads the unquoted record from `start` to `end` on `line`. False when its values are not
   * one per column, or one is longer than a roster value may be (bounds.ts): such a row has
   * findings, and is made as a row. (UTF-8 has at least as many bytes as UTF-16 code units, so
   * within the bounds in bytes is within them in characters.)
   */
  read(start: number, end: number, line: number): boolean {
    if (end - start > MAX_ROW_CHARS) return false;
    const { bytes, starts, ends } = this;
    const last = this.columns - 1;
    // A loop, not indexOf per value: for records this short, Buffer's call cost more than the bytes.
    let column = 0;
    let from = start;
    for (let i = start; i < end; i++) {
      if (bytes[i] !== COMMA) continue;
      if (column === last || i - from > MAX_CELL_CHARS) return false;
      starts[column] = from;
      ends[column] = i;
      column++;
      from = i + 1;
    }
    if (column !== last || end - from > MAX_CELL_CHARS) return false;
    starts[last] = from;
    ends[last] = end;
    this.line = line;
    return true;
  }
}

/** `standing` of plainStanding: the two statuses a plain row may have (ROSTER_STATUSES order). */
export const PLAIN_ACTIVE = 0;
export const PLAIN_PAUSED = 1;
export const NOT_PLAIN = -1;

const ACTIVE = Buffer.from('active');
const PAUSED = Buffer.from('paused');

/**
 * PLAIN_ACTIVE or PLAIN_PAUSED when no row rule (rules.ts) finds anything in the row, else
 * NOT_PLAIN. Withdrawn and opted-out rows are never plain: their addresses are kept as rows.
 */
export function plainStanding(row: PlainRow): number {
  const { bytes, layout, starts, ends } = row;
  const status = layout.status === -1 ? PLAIN_ACTIVE : statusOf(bytes, starts[layout.status]!, ends[layout.status]!);
  if (status === NOT_PLAIN) return NOT_PLAIN;
  if (!isSimpleDid(bytes, starts[layout.did]!, ends[layout.did]!)) return NOT_PLAIN;
  if (!isSimpleEmail(bytes, starts[layout.email]!, ends[layout.email]!)) return NOT_PLAIN;
  if (layout.timezone !== -1 && !isSimpleZone(bytes, starts[layout.timezone]!, ends[layout.timezone]!))
    return NOT_PLAIN;
  if (layout.firstName !== -1 && hasControlByte(bytes, starts[layout.firstName]!, ends[layout.firstName]!))
    return NOT_PLAIN;
  if (layout.lastName !== -1 && hasControlByte(bytes, starts[layout.lastName]!, ends[layout.lastName]!))
    return NOT_PLAIN;
  return status;
}

/** Empty is active (as RosterRow.status); any other case or spacing is left to the row. */
function statusOf(bytes: Buffer, start: number, end: number): number {
  if (start === end) return PLAIN_ACTIVE;
  if (end - start !== 6) return NOT_PLAIN;
  if (sameLowerCase(bytes, start, ACTIVE)) return PLAIN_ACTIVE;
  if (sameLowerCase(bytes, start, PAUSED)) return PLAIN_PAUSED;
  return NOT_PLAIN;
}

/** Whether the bytes at `start` are `lower` (ASCII lower case), in any case. */
function sameLowerCase(bytes: Buffer, start: number, lower: Buffer): boolean {
  for (let i = 0; i < lower.length; i++) if ((bytes[start + i]! | 0x20) !== lower[i]) return false;
  return true;
}

/** The DID pattern of rules.ts, `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, on bytes. */
export function isSimpleDid(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || end - start > 64 || !isAlphanumeric(bytes[start]!)) return false;
  for (let i = start + 1; i < end; i++) {
    const b = bytes[i]!;
    if (!isAlphanumeric(b) && b !== 0x2e && b !== 0x5f && b !== 0x2d) return false;
  }
  return true;
}

function isAlphanumeric(b: number): boolean {
  const letter = b | 0x20;
  return (b >= 0x30 && b <= 0x39) || (letter >= 0x61 && letter <= 0x7a);
}

/** The zones found valid, as bytes: a roster repeats a few, and a string a row cost more than the look-up. */
const validZones = new StringTable();
/** Past this many spellings (Intl takes any case), zones are checked as strings again: the bot runs for months. */
const MAX_VALID_ZONES = 1024;

/** Empty, or printable ASCII with no space that is a valid zone (Intl is asked once per zone). */
function isSimpleZone(bytes: Buffer, start: number, end: number): boolean {
  if (start === end) return true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b <= 0x20 || b >= 0x7f) return false;
  }
  if (validZones.indexOfAscii(bytes, start, end) !== -1) return true;
  if (!isValidTimeZone(bytes.toString('latin1', start, end))) return false;
  if (validZones.size < MAX_VALID_ZONES) validZones.addAscii(bytes, start, end);
  return true;
}

/** A byte below 0x20 or 0x7f: what rules.ts calls a control character in a name (UTF-8 has no other such byte). */
function hasControlByte(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b === 0x7f) return true;
  }
  return false;
}
