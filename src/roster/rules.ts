/**
 * Row rules for the roster, checked in one pass over the rows: each row on its own (DID, address,
 * status, time zone, names), then what only the whole roster shows (a DID or address used twice,
 * an address of someone who withdrew). The same rules check rows coming from Qualtrics before
 * they are merged. Keys are held in StringTables, not Maps of strings: a 100,000-row roster is
 * checked without its memory growing by the roster's size again.
 */

import type { Finding } from '../finding.js';
import { isValidEmail } from '../mail/address.js';
import { isValidTimeZone } from '../util/dates.js';
import { grow, StringTable } from '../util/string-table.js';
import type { PlainRow } from './plain-row.js';
import { ROSTER_STATUSES, type RosterRow } from './read.js';

/** DIDs become file names (outbox/dry-run/D/<DID>.eml), so they are kept to a safe alphabet. */
const didPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Rows by position: an array, or the roster's RowStore (which makes each row on demand). */
export interface RowSource {
  readonly length: number;
  at(index: number): RosterRow | undefined;
}

/**
 * The row's DID when it can be trusted to be one: safe characters, on a row whose values line up
 * with the header. On a misaligned row the "DID" may be a name, so it is never quoted.
 */
export function trustedDid(row: RosterRow): string | undefined {
  return row.shapeOk && didPattern.test(row.did) ? row.did : undefined;
}

/** "P0007", or "row 7" when the DID cannot be trusted: how other findings name a row. */
const rowLabel = (row: RosterRow): string => trustedDid(row) ?? `row ${row.row}`;

/** Messages never quote roster values; the offending cell goes in `value` (CLI only). */
function rowFinding(
  row: RosterRow,
  severity: Finding['severity'],
  code: string,
  column: string,
  message: string,
  fix: string,
  value?: string,
): Finding {
  const did = trustedDid(row);
  return {
    severity,
    scope: 'row',
    code,
    row: row.row,
    column,
    message,
    fix,
    ...(did !== undefined ? { did } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

/** Problems with e-mail or time zone only matter for people we write to. */
const severityFor = (row: RosterRow): Finding['severity'] => (row.status === 'active' ? 'error' : 'warning');

function didFinding(row: RosterRow): Finding | undefined {
  if (row.did === '')
    return rowFinding(
      row,
      'error',
      'did_empty',
      'did',
      'The DID is empty.',
      "Fill in the participant's DID, or delete the row if it is not a participant.",
    );
  if (!didPattern.test(row.did))
    return rowFinding(
      row,
      'error',
      'did_invalid',
      'did',
      'The DID contains characters other than letters, digits, ".", "_" and "-", or is longer than 64.',
      'Correct the DID to the form used in the compliance database (e.g. P0123).',
      row.did,
    );
  return undefined;
}

function emailFinding(row: RosterRow): Finding | undefined {
  if (row.email === '')
    return rowFinding(
      row,
      severityFor(row),
      'email_missing',
      'email',
      'The e-mail address is empty.',
      "Fill in the participant's e-mail address.",
    );
  // The address itself is never echoed: findings go to Slack and logs.
  if (!isValidEmail(row.email))
    return rowFinding(
      row,
      severityFor(row),
      'email_invalid',
      'email',
      'The e-mail address is not valid (expected name@domain.tld with no spaces).',
      'Correct the address in the roster.',
    );
  return undefined;
}

function statusFinding(row: RosterRow): Finding | undefined {
  if ((ROSTER_STATUSES as readonly string[]).includes(row.status)) return undefined;
  return rowFinding(
    row,
    'error',
    'status_unknown',
    'status',
    `The status is not one of ${ROSTER_STATUSES.join(', ')}.`,
    'Use one of the listed statuses (empty means active).',
    row.status,
  );
}

function timezoneFinding(row: RosterRow): Finding | undefined {
  if (row.timezone === '' || isValidTimeZone(row.timezone)) return undefined;
  return rowFinding(
    row,
    severityFor(row),
    'timezone_invalid',
    'timezone',
    'The time zone is not an IANA time zone.',
    'Use a name such as Europe/London or America/Chicago, or leave it empty.',
    row.timezone,
  );
}

/** U+0000–U+001F or U+007F: a loop, as names are short and a regular expression's call cost more. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function namesFinding(row: RosterRow): Finding | undefined {
  if (!hasControlCharacter(row.firstName) && !hasControlCharacter(row.lastName)) return undefined;
  return rowFinding(
    row,
    'warning',
    'name_control_characters',
    'first_name',
    'The name contains line breaks or control characters; they are replaced by spaces in the e-mail.',
    'Clean up the name in the roster.',
  );
}

/** Lower-cased: how two addresses are compared (a row's values are trimmed: RosterRow.values). */
const addressKey = (email: string): string => email.toLowerCase();

/**
 * Keys seen once or more, and the rows of those seen more than once: the first row of every key
 * in a typed array, groups (rare) in a Map, in the order their second row was seen.
 */
class KeyedRows {
  readonly keys: StringTable;
  private firstRow: Int32Array;
  readonly repeated = new Map<number, number[]>();

  constructor(expectedKeys: number) {
    this.keys = new StringTable(expectedKeys);
    this.firstRow = new Int32Array(Math.max(1024, expectedKeys));
  }

  /** The key's number (`keys`). */
  add(key: string, rowIndex: number): number {
    const size = this.keys.size;
    return this.noteRow(this.keys.add(key), size, rowIndex);
  }

  /** `add` of the ASCII bytes from `start` to `end` (StringTable.addAscii). */
  addAscii(bytes: Uint8Array, start: number, end: number, lowerCase: boolean, rowIndex: number): number {
    const size = this.keys.size;
    return this.noteRow(this.keys.addAscii(bytes, start, end, lowerCase), size, rowIndex);
  }

  /** Row `rowIndex` has key `k`, which is new when it is `size` (the table's size before). */
  private noteRow(k: number, size: number, rowIndex: number): number {
    if (k === size) {
      if (k === this.firstRow.length) this.firstRow = grow(this.firstRow, k * 2);
      this.firstRow[k] = rowIndex;
      return k;
    }
    const group = this.repeated.get(k);
    if (group === undefined) this.repeated.set(k, [this.firstRow[k]!, rowIndex]);
    else group.push(rowIndex);
    return k;
  }

  /** The row where key number `k` was first seen. */
  firstRowOf(k: number): number {
    return this.firstRow[k]!;
  }

  /** The rows with this key, in order ([] when none). */
  rowsOf(key: string): number[] {
    const k = this.keys.indexOf(key);
    if (k === -1) return [];
    return this.repeated.get(k) ?? [this.firstRow[k]!];
  }
}

/** The rule order of the findings (as validate-participants lists them). */
enum Rule {
  did,
  didUnique,
  email,
  emailUnique,
  emailSuppressed,
  status,
  timezone,
  names,
}

/** Checks rows one at a time (`check`), then the whole roster (`finish`). */
export class RosterChecker {
  private readonly found: Finding[][] = Array.from({ length: 8 }, () => []);
  private readonly dids: KeyedRows;
  private readonly activeAddresses: KeyedRows;
  /** Withdrawn or opted-out rows by address: rarely many. */
  private readonly suppressedBy = new Map<string, RosterRow[]>();

  /** `expectedRows`: about how many rows will be checked, when known (StringTable's `expectedKeys`). */
  constructor(expectedRows = 0) {
    this.dids = new KeyedRows(expectedRows);
    this.activeAddresses = new KeyedRows(expectedRows);
  }

  /** The roster's DIDs so far (every non-empty one, valid or not), numbered as `check` returns them. */
  get didTable(): StringTable {
    return this.dids.keys;
  }

  /** The row where the DID numbered `didKey` was first seen: the one the ledger keeps when it is repeated. */
  firstRowOfDid(didKey: number): number {
    return this.dids.firstRowOf(didKey);
  }

  /** Row `index` (from 0) of the roster, in order. Returns its DID's number in `didTable`, or -1 when it has none. */
  check(row: RosterRow, index: number): number {
    const add = (rule: Rule, finding: Finding | undefined): void => {
      if (finding !== undefined) this.found[rule]!.push(finding);
    };
    add(Rule.did, didFinding(row));
    add(Rule.email, emailFinding(row));
    add(Rule.status, statusFinding(row));
    add(Rule.timezone, timezoneFinding(row));
    add(Rule.names, namesFinding(row));
    const didKey = row.did === '' ? -1 : this.dids.add(row.did, index);
    const address = row.email === '' ? undefined : addressKey(row.email);
    if (address === undefined) return didKey;
    if (row.status === 'active') this.activeAddresses.add(address, index);
    else if (row.status === 'withdrawn' || row.status === 'opted_out') {
      const group = this.suppressedBy.get(address);
      if (group === undefined) this.suppressedBy.set(address, [row]);
      else group.push(row);
    }
    return didKey;
  }

  /**
   * Row `index` as a plain row (plain-row.ts) that `plainStanding` found nothing wrong with, as
   * `check` would have taken it. Returns its DID's number in `didTable`.
   */
  checkPlain(row: PlainRow, index: number, active: boolean): number {
    const { bytes, layout, starts, ends } = row;
    const didKey = this.dids.addAscii(bytes, starts[layout.did]!, ends[layout.did]!, false, index);
    // The address lower-cased, as addressKey does (a plain address is ASCII).
    if (active) this.activeAddresses.addAscii(bytes, starts[layout.email]!, ends[layout.email]!, true, index);
    return didKey;
  }

  /** Every finding, in rule order; `source` gives the rows checked (by index) again. */
  finish(source: RowSource): Finding[] {
    const rows = (indexes: readonly number[]): RosterRow[] => indexes.map((i) => source.at(i)!);
    this.repeatedDids(rows);
    this.repeatedAddresses(rows);
    this.addressesOfWithdrawn(source);
    return this.found.flat();
  }

  private repeatedDids(rows: (indexes: readonly number[]) => RosterRow[]): void {
    for (const indexes of this.dids.repeated.values()) {
      const group = rows(indexes);
      for (const row of group)
        this.found[Rule.didUnique]!.push(
          rowFinding(
            row,
            'error',
            'did_duplicate',
            'did',
            `The same DID appears on rows ${group.map((r) => r.row).join(', ')}; none of them is e-mailed until it is unique.`,
            'Keep one row per DID; fix the DID that was mistyped.',
          ),
        );
    }
  }

  private repeatedAddresses(rows: (indexes: readonly number[]) => RosterRow[]): void {
    for (const indexes of this.activeAddresses.repeated.values()) {
      const group = rows(indexes);
      for (const row of group)
        this.found[Rule.emailUnique]!.push(
          rowFinding(
            row,
            'error',
            'email_duplicate',
            'email',
            `The same e-mail address is used by ${group.map(rowLabel).join(', ')}; one participant would receive another's data, so none of them is e-mailed.`,
            'Correct the address that was copied to the wrong row.',
          ),
        );
    }
  }

  /**
   * Someone who withdrew or opted out is not written to again under another DID: an active row
   * whose address (case-insensitive, trimmed) is on a withdrawn or opted-out row is blocked.
   */
  private addressesOfWithdrawn(source: RowSource): void {
    const hits: { index: number; by: RosterRow[] }[] = [];
    for (const [address, by] of this.suppressedBy)
      for (const index of this.activeAddresses.rowsOf(address)) hits.push({ index, by });
    hits.sort((a, b) => a.index - b.index);
    const label = (r: RosterRow) => `${rowLabel(r)} (${r.status.replace('_', ' ')})`;
    for (const { index, by } of hits) {
      const row = source.at(index)!;
      this.found[Rule.emailSuppressed]!.push(
        rowFinding(
          row,
          'error',
          'email_suppressed',
          'email',
          `${rowLabel(row)} uses the e-mail address of ${by.map(label).join(', ')}; it is not e-mailed.`,
          'If this is the same person, they asked not to be contacted: set the row to withdrawn or opted_out. If not, correct the address.',
        ),
      );
    }
  }
}

export function checkRosterRows(rows: RowSource): Finding[] {
  const checker = new RosterChecker();
  for (let i = 0; i < rows.length; i++) checker.check(rows.at(i)!, i);
  return checker.finish(rows);
}
