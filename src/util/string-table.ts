/**
 * An exact set of short strings (DIDs, addresses) numbered in the order they were added, kept in
 * typed arrays instead of a Set<string>: a JavaScript string and its hash-table entry cost about
 * 60 bytes, so a 100,000-participant study held that way grew the process by tens of MB. Here a
 * key costs its UTF-8 bytes plus about 16 bytes, and lookups stay O(1).
 */
const EMPTY = -1;

/** FNV-1a's basis and prime: hashOf, hashOfBytes and Utf8Arena's staging (which hashes as it copies) share them. */
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units; collisions are resolved by comparing the keys themselves. */
export function hashOf(key: string): number {
  let hash = FNV_BASIS;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), FNV_PRIME);
  return hash | 0;
}

/** FNV-1a over bytes `start` to `end`: hashOf of the text for ASCII (row-store.ts checks records read again by it). */
export function hashOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_BASIS;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return hash | 0;
}

/** Strings appended as UTF-8 into one growing buffer, read back by their byte range. */
export class Utf8Arena {
  private bytes: Buffer;
  private used = 0;
  /** Where the bytes `stage` wrote end (they start at `used`). */
  private stagedEnd = 0;

  constructor(initialBytes = 1024) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, initialBytes));
  }

  /** Appends `text`'s UTF-8; returns where its bytes end (they start where the previous ones ended). */
  append(text: string): number {
    const length = Buffer.byteLength(text, 'utf8');
    this.ensureRoom(length);
    this.bytes.write(text, this.used, 'utf8');
    this.used += length;
    return this.used;
  }

  /**
   * Writes `text`'s bytes after those written so far without adding them (`commitStaged` does),
   * and returns its hashOf: one loop reads the text, hashes it and copies it, so that a key is
   * read once whether it is new (committed) or not (compared as bytes by `isStaged`). For keys as
   * short as DIDs and addresses Buffer's calls cost more than the loop; text beyond ASCII is then
   * written again as UTF-8.
   */
  stage(text: string): number {
    const length = text.length;
    // At most 3 bytes of UTF-8 a UTF-16 code unit.
    this.ensureRoom(length * 3);
    const bytes = this.bytes;
    const start = this.used;
    let hash = FNV_BASIS;
    let any = 0;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      any |= code;
      hash = Math.imul(hash ^ code, FNV_PRIME);
      bytes[start + i] = code;
    }
    this.stagedEnd = any < 0x80 ? start + length : start + bytes.write(text, start, 'utf8');
    return hash | 0;
  }

  /**
   * `stage` for a key that is ASCII bytes from `start` to `end` of `source` (the caller has
   * checked), lower-cased (A-Z only) when `lowerCase`: the same bytes and hash as `stage` of the
   * key as a string, with no string made.
   */
  stageAscii(source: Uint8Array, start: number, end: number, lowerCase: boolean): number {
    const length = end - start;
    this.ensureRoom(length);
    const bytes = this.bytes;
    const at = this.used - start;
    let hash = FNV_BASIS;
    for (let i = start; i < end; i++) {
      let code = source[i]!;
      if (lowerCase && code >= 0x41 && code <= 0x5a) code |= 0x20;
      hash = Math.imul(hash ^ code, FNV_PRIME);
      bytes[at + i] = code;
    }
    this.stagedEnd = this.used + length;
    return hash | 0;
  }

  /** Whether the bytes from `start` to `end` are the staged ones. */
  isStaged(start: number, end: number): boolean {
    const staged = this.used;
    if (end - start !== this.stagedEnd - staged) return false;
    const bytes = this.bytes;
    for (let i = 0; i < end - start; i++) if (bytes[start + i] !== bytes[staged + i]) return false;
    return true;
  }

  /** Adds the staged bytes; returns where they end. */
  commitStaged(): number {
    this.used = this.stagedEnd;
    return this.used;
  }

  private ensureRoom(length: number): void {
    if (this.used + length <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  /** An arena holding `bytes` (as another's `bytes()` gave them), for reading. */
  static of(bytes: Uint8Array): Utf8Arena {
    const arena = new Utf8Arena();
    arena.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    arena.used = bytes.byteLength;
    return arena;
  }

  /** A copy of the bytes written, in an ArrayBuffer of its own (one that can be transferred). */
  copyOfBytes(): Uint8Array {
    return new Uint8Array(this.bytes.subarray(0, this.used));
  }

  /** Whether the bytes from `start` to `end` are `other`'s from `otherStart` to `otherEnd`. */
  sameBytes(start: number, end: number, other: Utf8Arena, otherStart: number, otherEnd: number): boolean {
    if (end - start !== otherEnd - otherStart) return false;
    for (let i = 0; i < end - start; i++) if (this.bytes[start + i] !== other.bytes[otherStart + i]) return false;
    return true;
  }

  /** Bytes written so far: where the next string will start. */
  get end(): number {
    return this.used;
  }

  text(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }
}

/** A StringTable as plain typed arrays: what a worker thread sends (their buffers transferred, not copied). */
export interface StringTableParts {
  bytes: Uint8Array;
  starts: Uint32Array;
  hashes: Int32Array;
  slots: Int32Array;
  count: number;
}

export class StringTable implements Iterable<string> {
  private arena: Utf8Arena;
  /** starts[i] .. starts[i + 1]: key i's bytes. */
  private starts: Uint32Array;
  private hashes: Int32Array;
  /** Open addressing: key index + 0, or EMPTY. Never more than half full. */
  private slots: Int32Array;
  private count = 0;

  /**
   * `expectedKeys`: about how many keys will be added, when known, so that the arrays are made
   * once instead of grown (each growth of `slots` places every key again, at random places).
   */
  constructor(expectedKeys = 0) {
    const keys = Math.max(256, expectedKeys);
    this.arena = new Utf8Arena(keys * 8);
    this.starts = new Uint32Array(keys + 1);
    this.hashes = new Int32Array(keys);
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(keys * 2))).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  /** The key's number, or -1. */
  indexOf(key: string): number {
    return this.indexOfStaged(this.arena.stage(key));
  }

  /** `indexOf` of the key that is the ASCII bytes from `start` to `end` of `source` (see `addAscii`). */
  indexOfAscii(source: Uint8Array, start: number, end: number): number {
    return this.indexOfStaged(this.arena.stageAscii(source, start, end, false));
  }

  private indexOfStaged(hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) return -1;
      if (this.hashes[index] === hash && this.isStagedKey(index)) return index;
    }
  }

  /**
   * This table's number for key `k` of `other` (or -1), by the hash `other` keeps and the key's
   * bytes: joining two tables decodes no key. (Equal strings have equal UTF-16, so equal hashes.)
   */
  indexOfKeyOf(other: StringTable, k: number): number {
    const hash = other.hashes[k]!;
    const start = other.starts[k]!;
    const end = other.starts[k + 1]!;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) return -1;
      if (
        this.hashes[index] === hash &&
        this.arena.sameBytes(this.starts[index]!, this.starts[index + 1]!, other.arena, start, end)
      )
        return index;
    }
  }

  /** The table as typed arrays (see StringTableParts); this table is not to be used afterwards. */
  toParts(): { parts: StringTableParts; transfer: ArrayBuffer[] } {
    const parts = {
      bytes: this.arena.copyOfBytes(),
      starts: this.starts,
      hashes: this.hashes,
      slots: this.slots,
      count: this.count,
    };
    // Each array has an ArrayBuffer of its own (made here or by grow()), never a shared one.
    const transfer = [
      parts.bytes.buffer,
      parts.starts.buffer,
      parts.hashes.buffer,
      parts.slots.buffer,
    ] as ArrayBuffer[];
    return { parts, transfer };
  }

  /** The table `toParts` gave (in this thread or another). */
  static fromParts(parts: StringTableParts): StringTable {
    const table = new StringTable();
    table.arena = Utf8Arena.of(parts.bytes);
    table.starts = parts.starts;
    table.hashes = parts.hashes;
    table.slots = parts.slots;
    table.count = parts.count;
    return table;
  }

  has(key: string): boolean {
    return this.indexOf(key) !== -1;
  }

  /** Adds the key if it is new; returns its number either way (compare with `size` to tell). */
  add(key: string): number {
    return this.addStaged(this.arena.stage(key));
  }

  /**
   * `add` of the key that is the ASCII bytes from `start` to `end` of `source` (lower-cased when
   * `lowerCase`), without making it a string: see Utf8Arena.stageAscii.
   */
  addAscii(source: Uint8Array, start: number, end: number, lowerCase = false): number {
    return this.addStaged(this.arena.stageAscii(source, start, end, lowerCase));
  }

  private addStaged(hash: number): number {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) break;
      if (this.hashes[index] === hash && this.isStagedKey(index)) return index;
    }
    const index = this.count++;
    this.store(index, hash);
    this.slots[slot] = index;
    if (this.count * 2 > this.slots.length) this.rehash();
    return index;
  }

  keyAt(index: number): string {
    return this.arena.text(this.starts[index]!, this.starts[index + 1]!);
  }

  private isStagedKey(index: number): boolean {
    return this.arena.isStaged(this.starts[index]!, this.starts[index + 1]!);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.count; i++) yield this.keyAt(i);
  }

  private store(index: number, hash: number): void {
    const end = this.arena.commitStaged();
    if (index === this.hashes.length) {
      this.hashes = grow(this.hashes, this.hashes.length * 2);
      this.starts = grow(this.starts, this.hashes.length + 1);
    }
    this.hashes[index] = hash;
    this.starts[index + 1] = end;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = this.hashes[index]! & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = index;
    }
    this.slots = slots;
  }
}

/** A typed array twice as long (or `length`), with the old values. */
export function grow<T extends Uint32Array | Int32Array | Uint8Array>(array: T, length: number): T {
  const grown = new (array.constructor as new (n: number) => T)(length);
  grown.set(array);
  return grown;
}
