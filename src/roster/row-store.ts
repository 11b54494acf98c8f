/**
 * The roster's rows, held as UTF-8 bytes for as long as a dry run needs them. A row object is
 * made only when one is asked for (`at`, iteration) and dropped after use: a 100,000-row roster
 * is then its file's size in memory, not the 30 MB of objects and strings it took as rows.
 */
import { grow, hashOfBytes, Utf8Arena } from '../util/string-table.js';
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

/** One row, made from its values (cleaned, in header order). */
class ValuesRow implements RosterRow {
  readonly did: string;
  readonly email: string;
  readonly status: string;

  constructor(
    readonly row: number,
    readonly values: string[],
    private readonly layout: Layout,
    readonly shapeOk: boolean,
  ) {
    this.did = this.at(layout.did);
    this.email = this.at(layout.email);
    this.status = this.at(layout.status).toLowerCase() || 'active';
  }

  get firstName(): string {
    return this.at(this.layout.firstName);
  }
  get lastName(): string {
    return this.at(this.layout.lastName);
  }
  get timezone(): string {
    return this.at(this.layout.timezone);
  }

  private at(index: number): string {
    return index < 0 ? '' : (this.values[index] ?? '');
  }
}

const mayBeSpace = (code: number): boolean => code <= 32 || code >= 0x7f;

/**
 * A record's values as kept: trimmed, and without SEP (which separates them when packed).
 * `mayHoldSep` false: the record's bytes are known to have no SEP (read.ts looks once in the
 * whole file), so that the values are not each searched for it.
 */
export function cleanValues(record: string[], mayHoldSep = true): string[] {
  for (let i = 0; i < record.length; i++) {
    let value = record[i]!;
    // Most values need neither: looking first is cheaper than making new strings. Beyond ASCII,
    // trim() knows which characters are spaces (U+00A0, U+3000, ...).
    if (value.length > 0 && (mayBeSpace(value.charCodeAt(0)) || mayBeSpace(value.charCodeAt(value.length - 1))))
      value = value.trim();
    if (mayHoldSep && value.includes(SEP)) value = value.replaceAll(SEP, ' ');
    record[i] = value;
  }
  return record;
}

/** The byte of SEP in UTF-8 (it is ASCII). */
export const SEP_BYTE = 0x1f;

/** Where a plain roster's records are read again from: the file (read.ts) or bytes in memory. */
export interface RowBytes {
  /** The bytes from `start` to `end` of the roster as it was read (its UTF-8, no byte order mark). */
  read(start: number, end: number): Buffer;
  close?(): void;
  /**
   * The error for a record that no longer reads as it did (the file was edited in place). Bytes
   * that cannot change (in memory) have none, and their rows are not hashed.
   */
  changed?(): Error;
}

export const bytesInMemory = (bytes: Buffer): RowBytes => ({ read: (start, end) => bytes.subarray(start, end) });

/** A store dropped without close() still closes its file. */
const closeWhenDropped = new FinalizationRegistry<RowBytes>((bytes) => bytes.close?.());

/**
 * Rows by position. A plain roster's rows are not copied: each is its place in the file, read
 * again when asked for, so a 100,000-row dry run holds 17 bytes a row instead of the roster; the
 * rows csv-parse read (unusual files) are packed into a buffer of their own.
 */
export class RowStore implements Iterable<RosterRow> {
  /** The rows csv-parse read, packed (made on the first one). */
  private arena: Utf8Arena | undefined;
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
  push(line: number, values: string[], shapeOk: boolean, span?: RecordSpan): RosterRow {
    const index = this.count++;
    if (index === this.lines.length) this.growTo(index * 2);
    if (span !== undefined && this.file !== undefined) {
      if (!this.usesFile) this.startUsingFile();
      this.starts[index] = span.start;
      this.ends[index] = span.end;
      this.flags[index] = (shapeOk ? 1 : 0) | (span.quoted ? 2 : 0);
      this.keepSum(index, span.bytes, span.start, span.end);
    } else {
      const [start, end] = this.pack(values.join(SEP));
      this.starts[index] = start;
      this.ends[index] = end;
      this.flags[index] = (shapeOk ? 1 : 0) | 4;
    }
    this.lines[index] = line;
    return new ValuesRow(line, values, this.layout, shapeOk);
  }

  /**
   * Adds a plain record of `file` (no quoted values, one value per column) by its place only: its
   * values were checked on its bytes (plain-row.ts), and are made when the row is read.
   */
  pushPlain(line: number, bytes: Buffer, start: number, end: number): void {
    const index = this.count++;
    if (index === this.lines.length) this.growTo(index * 2);
    if (!this.usesFile) this.startUsingFile();
    this.starts[index] = start;
    this.ends[index] = end;
    this.flags[index] = 1;
    this.lines[index] = line;
    this.keepSum(index, bytes, start, end);
  }

  /** Bytes that can change (a file kept open): a hash of the record's, to check it by when it is read again. */
  private keepSum(index: number, bytes: Buffer, start: number, end: number): void {
    if (this.file?.changed !== undefined) this.sums[index] = hashOfBytes(bytes, start, end);
  }

  /** Row `index` (from 0) as a fresh object, or undefined past the end. */
  at(index: number): RosterRow | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const flags = this.flags[index]!;
    const start = this.starts[index]!;
    const end = this.ends[index]!;
    let values: string[];
    if ((flags & 4) !== 0) values = this.arena!.text(start, end).split(SEP);
    else {
      const bytes = this.file!.read(start, end);
      // Not the record validated (an edit in place that kept the size and time): never use it.
      const { changed } = this.file!;
      if (changed !== undefined && hashOfBytes(bytes, 0, bytes.length) !== this.sums[index]) throw changed();
      values = cleanValues(recordValues(bytes, 0, end - start, (flags & 2) !== 0), bytes.includes(SEP_BYTE));
    }
    return new ValuesRow(this.lines[index]!, values, this.layout, (flags & 1) !== 0);
  }

  /** Row `index`'s line number, without making the row. */
  lineAt(index: number): number {
    return this.lines[index]!;
  }

  *[Symbol.iterator](): Iterator<RosterRow> {
    for (let i = 0; i < this.count; i++) yield this.at(i)!;
  }

  private growTo(length: number): void {
    this.starts = grow(this.starts, length);
    this.ends = grow(this.ends, length);
    this.lines = grow(this.lines, length);
    this.flags = grow(this.flags, length);
    this.sums = grow(this.sums, length);
  }

  /** The first row kept as its place in `file`: the store now closes the file. */
  private startUsingFile(): void {
    this.usesFile = true;
    if (this.file?.close !== undefined) closeWhenDropped.register(this, this.file, this);
  }

  private pack(packed: string): [number, number] {
    this.arena ??= new Utf8Arena(this.expectedBytes);
    const start = this.arena.end;
    return [start, this.arena.append(packed)];
  }
}
