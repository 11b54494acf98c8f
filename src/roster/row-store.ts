/**
 * The roster's rows, held as UTF-8 bytes for as long as a dry run needs them. A row object is
 * made only when one is asked for (`at`, iteration) and dropped after use: a 100,000-row roster
 * is then its file's size in memory, not the 30 MB of objects and strings it took as rows.
 */
import { grow, hashOf } from '../util/string-table.js';
import { type RecordSpan, recordValues } from './csv-records.js';

/** Between a packed row's values: a control character no value we keep contains (read.ts replaces it). */
export const SEP = '\u001f';

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
   * Every value in header order (see Roster.columns), trimmed, including columns only the
   * templates use (e.g. site). `rosterFields` gives the record.
   */
  readonly values: string[];
  /** False when this row's column count differs from the header: its values cannot be trusted. */
  shapeOk: boolean;
}

/** Where the named columns are in a row's values (-1: no such column). */
export interface Layout {
  did: number;
  email: number;
  status: number;
  firstName: number;
  lastName: number;
  timezone: number;
}

/** The value at `index` of a packed row ('' when there is none). */
function valueAt(packed: string, index: number): string {
  if (index < 0) return '';
  let start = 0;
  for (let i = 0; i < index; i++) {
    start = packed.indexOf(SEP, start) + 1;
    if (start === 0) return '';
  }
  const end = packed.indexOf(SEP, start);
  return end === -1 ? packed.slice(start) : packed.slice(start, end);
}

/** One row, made from its packed values; the other values are sliced out on demand. */
class PackedRow implements RosterRow {
  readonly did: string;
  readonly email: string;
  readonly status: string;

  constructor(
    readonly row: number,
    private readonly packed: string,
    private readonly layout: Layout,
    readonly shapeOk: boolean,
  ) {
    this.did = valueAt(packed, layout.did);
    this.email = valueAt(packed, layout.email);
    this.status = valueAt(packed, layout.status).toLowerCase() || 'active';
  }

  get firstName(): string {
    return valueAt(this.packed, this.layout.firstName);
  }
  get lastName(): string {
    return valueAt(this.packed, this.layout.lastName);
  }
  get timezone(): string {
    return valueAt(this.packed, this.layout.timezone);
  }
  get values(): string[] {
    return this.packed.split(SEP);
  }
}

const mayBeSpace = (code: number): boolean => code <= 32 || code >= 0x7f;

/** A record's values as kept: trimmed, and without SEP (which separates them when packed). */
export function cleanValues(record: string[]): string[] {
  for (let i = 0; i < record.length; i++) {
    let value = record[i]!;
    // Most values need neither: looking first is cheaper than making new strings. Beyond ASCII,
    // trim() knows which characters are spaces (U+00A0, U+3000, ...).
    if (value.length > 0 && (mayBeSpace(value.charCodeAt(0)) || mayBeSpace(value.charCodeAt(value.length - 1))))
      value = value.trim();
    if (value.includes(SEP)) value = value.replaceAll(SEP, ' ');
    record[i] = value;
  }
  return record;
}

/** Where a plain roster's records are read again from: the file (read.ts) or bytes in memory. */
export interface RowBytes {
  /** The bytes from `start` to `end` of the roster as it was read (its UTF-8, no byte order mark). */
  read(start: number, end: number): Buffer;
  close?(): void;
  /** The error for a record that no longer reads as it did (the file was edited in place). */
  changed?(): Error;
}

export const bytesInMemory = (bytes: Buffer): RowBytes => ({ read: (start, end) => bytes.subarray(start, end) });

/** A store dropped without close() still closes its file. */
const closeWhenDropped = new FinalizationRegistry<RowBytes>((bytes) => bytes.close?.());

/**
 * Rows by position. A plain roster's rows are not copied: each is its place in the file, read
 * again when asked for, so a 100,000-row dry run holds 13 bytes a row instead of the roster; the
 * rows csv-parse read (unusual files) are packed into a buffer of their own.
 */
export class RowStore implements Iterable<RosterRow> {
  private arena: Buffer | undefined;
  private used = 0;
  private count = 0;
  /** starts[i] .. ends[i]: row i's bytes (the record in the file, or its packed values). */
  private starts = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  /** Bit 0: the values line up with the header. Bit 1: the record has quoted values. */
  private flags = new Uint8Array(1024);
  /** A hash of each record's values as first read: a record read again must match it. */
  private sums = new Int32Array(1024);

  /**
   * `file`: where rows pushed with their span are read again (read.ts); the store closes it.
   * `expectedBytes`: about how much the other rows take, so that their buffer rarely grows.
   */
  constructor(
    private readonly layout: Layout,
    private readonly file?: RowBytes,
    private readonly expectedBytes = 64 * 1024,
  ) {}

  /** True once a row is kept as its place in `bytes` (the store then closes them). */
  readsFrom(bytes: RowBytes): boolean {
    return this.file === bytes && this.usesFile;
  }
  private usesFile = false;

  /** Closes the roster file, if rows are read from it; rows read from it afterwards fail. */
  close(): void {
    if (!this.usesFile) return;
    closeWhenDropped.unregister(this);
    this.file?.close?.();
  }

  get length(): number {
    return this.count;
  }

  /**
   * Adds a row: its line number, its values (cleaned, in header order) and, for a plain record of
   * `file`, where it is. Returns the row, made from the values already at hand.
   */
  push(line: number, values: readonly string[], shapeOk: boolean, span?: RecordSpan): RosterRow {
    const packed = values.join(SEP);
    const index = this.count++;
    if (index === this.lines.length) {
      const length = index * 2;
      this.starts = grow(this.starts, length);
      this.ends = grow(this.ends, length);
      this.lines = grow(this.lines, length);
      this.flags = grow(this.flags, length);
      this.sums = grow(this.sums, length);
    }
    if (span !== undefined && this.file !== undefined) {
      if (!this.usesFile) {
        this.usesFile = true;
        if (this.file.close !== undefined) closeWhenDropped.register(this, this.file, this);
      }
      this.starts[index] = span.start;
      this.ends[index] = span.end;
      this.flags[index] = (shapeOk ? 1 : 0) | (span.quoted ? 2 : 0);
      this.sums[index] = hashOf(packed);
    } else {
      const [start, end] = this.pack(packed);
      this.starts[index] = start;
      this.ends[index] = end;
      this.flags[index] = (shapeOk ? 1 : 0) | 4;
    }
    this.lines[index] = line;
    return new PackedRow(line, packed, this.layout, shapeOk);
  }

  /** Row `index` (from 0) as a fresh object, or undefined past the end. */
  at(index: number): RosterRow | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const flags = this.flags[index]!;
    const start = this.starts[index]!;
    const end = this.ends[index]!;
    let packed: string;
    if ((flags & 4) !== 0) packed = this.arena!.toString('utf8', start, end);
    else {
      packed = cleanValues(recordValues(this.file!.read(start, end), 0, end - start, (flags & 2) !== 0)).join(SEP);
      // Not the values validated (an edit in place that kept the size and time): never use them.
      if (hashOf(packed) !== this.sums[index]) throw this.file!.changed?.() ?? new Error('The roster changed.');
    }
    return new PackedRow(this.lines[index]!, packed, this.layout, (flags & 1) !== 0);
  }

  /** Row `index`'s line number, without making the row. */
  lineAt(index: number): number {
    return this.lines[index]!;
  }

  *[Symbol.iterator](): Iterator<RosterRow> {
    for (let i = 0; i < this.count; i++) yield this.at(i)!;
  }

  private pack(packed: string): [number, number] {
    const length = Buffer.byteLength(packed, 'utf8');
    if (this.arena === undefined) this.arena = Buffer.allocUnsafe(Math.max(1024, this.expectedBytes));
    if (this.used + length > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + length));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    const start = this.used;
    this.arena.write(packed, start, 'utf8');
    this.used += length;
    return [start, this.used];
  }
}
