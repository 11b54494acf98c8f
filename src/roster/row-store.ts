/**
 * The roster's rows, held as UTF-8 bytes in one buffer for as long as a dry run needs them. A
 * row object is made only when one is asked for (`at`, iteration) and dropped after use: a
 * 100,000-row roster is then its file's size in memory, not the 30 MB of objects and strings it
 * took as rows, and the dry run's memory does not grow with the study.
 */
import { grow } from '../util/string-table.js';

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

export class RowStore implements Iterable<RosterRow> {
  private bytes: Buffer;
  private used = 0;
  private count = 0;
  /** starts[i] .. starts[i + 1]: row i's packed values. */
  private starts = new Uint32Array(1025);
  private lines = new Uint32Array(1024);
  private shapes = new Uint8Array(1024);

  /** `expectedBytes`: about how much the rows take (the file's size), so the buffer rarely grows. */
  constructor(
    private readonly layout: Layout,
    expectedBytes = 64 * 1024,
  ) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
  }

  get length(): number {
    return this.count;
  }

  /** Adds a row: its line number and its values (trimmed, without SEP), in header order. */
  push(line: number, values: readonly string[], shapeOk: boolean): void {
    const packed = values.join(SEP);
    const length = Buffer.byteLength(packed, 'utf8');
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.write(packed, this.used, 'utf8');
    this.used += length;
    const index = this.count++;
    if (index === this.lines.length) {
      this.lines = grow(this.lines, this.lines.length * 2);
      this.shapes = grow(this.shapes, this.lines.length);
      this.starts = grow(this.starts, this.lines.length + 1);
    }
    this.starts[index + 1] = this.used;
    this.lines[index] = line;
    this.shapes[index] = shapeOk ? 1 : 0;
  }

  /** Row `index` (from 0) as a fresh object, or undefined past the end. */
  at(index: number): RosterRow | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const packed = this.bytes.toString('utf8', this.starts[index]!, this.starts[index + 1]!);
    return new PackedRow(this.lines[index]!, packed, this.layout, this.shapes[index] === 1);
  }

  /** Row `index`'s line number, without making the row. */
  lineAt(index: number): number {
    return this.lines[index]!;
  }

  *[Symbol.iterator](): Iterator<RosterRow> {
    for (let i = 0; i < this.count; i++) yield this.at(i)!;
  }
}
