/**
 * A fingerprint of a multiset of strings that does not depend on their order: four 32-bit lanes,
 * each the sum of a well-mixed hash of every string (a different seed and multiplier per lane,
 * then murmur3's finalizer). The finalizer matters: with a plain FNV-1a hash, swapping P01, P02
 * for P00, P03 left the sum unchanged, so similar DIDs were guarded by far fewer bits than the
 * lanes' 128. Equal multisets give equal fingerprints; different ones, equal ones by chance only.
 */
const SEEDS = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f] as const;
const MULTIPLIERS = [0xcc9e2d51, 0x1b873593, 0xe6546b64, 0x165667b1] as const;

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function mix(hash: number): number {
  let h = hash;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export class MultisetFingerprint {
  private count = 0;
  private readonly sums = new Int32Array(4);

  add(key: string): void {
    let a: number = SEEDS[0];
    let b: number = SEEDS[1];
    let c: number = SEEDS[2];
    let d: number = SEEDS[3];
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      a = Math.imul(((a ^ code) << 13) | ((a ^ code) >>> 19), MULTIPLIERS[0]);
      b = Math.imul(((b ^ code) << 15) | ((b ^ code) >>> 17), MULTIPLIERS[1]);
      c = Math.imul(((c ^ code) << 11) | ((c ^ code) >>> 21), MULTIPLIERS[2]);
      d = Math.imul(((d ^ code) << 17) | ((d ^ code) >>> 15), MULTIPLIERS[3]);
    }
    this.addLanes(a, b, c, d, key.length);
  }

  /**
   * `add` of the key that is the ASCII bytes from `start` to `end` of `bytes` (the caller has
   * checked), with no string made. The loop is add's, over bytes: one loop for both would call a
   * function a character in the roster's hottest path. test/unit/roster/plain-row.test.ts keeps
   * the two equal.
   */
  addAscii(bytes: Uint8Array, start: number, end: number): void {
    let a: number = SEEDS[0];
    let b: number = SEEDS[1];
    let c: number = SEEDS[2];
    let d: number = SEEDS[3];
    for (let i = start; i < end; i++) {
      const code = bytes[i]!;
      a = Math.imul(((a ^ code) << 13) | ((a ^ code) >>> 19), MULTIPLIERS[0]);
      b = Math.imul(((b ^ code) << 15) | ((b ^ code) >>> 17), MULTIPLIERS[1]);
      c = Math.imul(((c ^ code) << 11) | ((c ^ code) >>> 21), MULTIPLIERS[2]);
      d = Math.imul(((d ^ code) << 17) | ((d ^ code) >>> 15), MULTIPLIERS[3]);
    }
    this.addLanes(a, b, c, d, end - start);
  }

  private addLanes(a: number, b: number, c: number, d: number, length: number): void {
    this.sums[0]! += mix(a ^ length);
    this.sums[1]! += mix(b ^ length);
    this.sums[2]! += mix(c ^ length);
    this.sums[3]! += mix(d ^ length);
    this.count++;
  }

  /** The count and the four sums, as text (what is stored). */
  toString(): string {
    return [this.count, ...[...this.sums].map((sum) => (sum >>> 0).toString(16).padStart(8, '0'))].join('.');
  }
}
