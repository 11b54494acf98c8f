/**
 * An exact set of short strings (DIDs, addresses) numbered in the order they were added, kept in
 * typed arrays instead of a Set<string>: a JavaScript string and its hash-table entry cost about
 * 60 bytes, so a 100,000-participant study held that way grew the process by tens of MB. Here a
 * key costs its UTF-8 bytes plus about 16 bytes, and lookups stay O(1).
 */
const EMPTY = -1;

/** FNV-1a over UTF-16 code units; collisions are resolved by comparing the keys themselves. */
export function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** Strings appended as UTF-8 into one growing buffer, read back by their byte range. */
export class Utf8Arena {
  private bytes: Buffer;
  private used = 0;

  constructor(initialBytes = 1024) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, initialBytes));
  }

  /** Appends `text`; returns where its bytes end (they start where the previous ones ended). */
  append(text: string): number {
    const length = Buffer.byteLength(text, 'utf8');
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.write(text, this.used, 'utf8');
    this.used += length;
    return this.used;
  }

  /** Bytes written so far: where the next string will start. */
  get end(): number {
    return this.used;
  }

  text(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }
}

export class StringTable implements Iterable<string> {
  private readonly arena = new Utf8Arena();
  /** starts[i] .. starts[i + 1]: key i's bytes. */
  private starts = new Uint32Array(257);
  private hashes = new Int32Array(256);
  /** Open addressing: key index + 0, or EMPTY. Never more than half full. */
  private slots = new Int32Array(512).fill(EMPTY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The key's number, or -1. */
  indexOf(key: string): number {
    const hash = hashOf(key);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) return -1;
      if (this.hashes[index] === hash && this.keyAt(index) === key) return index;
    }
  }

  has(key: string): boolean {
    return this.indexOf(key) !== -1;
  }

  /** Adds the key if it is new; returns its number either way (compare with `size` to tell). */
  add(key: string): number {
    const hash = hashOf(key);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index === EMPTY) break;
      if (this.hashes[index] === hash && this.keyAt(index) === key) return index;
    }
    const index = this.count++;
    this.store(index, key, hash);
    this.slots[slot] = index;
    if (this.count * 2 > this.slots.length) this.rehash();
    return index;
  }

  keyAt(index: number): string {
    return this.arena.text(this.starts[index]!, this.starts[index + 1]!);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.count; i++) yield this.keyAt(i);
  }

  private store(index: number, key: string, hash: number): void {
    const end = this.arena.append(key);
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
