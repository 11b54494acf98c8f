/**
 * The participants waiting for their message, found by DID as the compliance rows stream in.
 * Only each DID's hash and row number are kept (8 bytes and a slot each); the row itself is made
 * again from the roster's bytes when its data arrives, and compared by DID (a hash can collide).
 */
import type { RosterRow } from '../roster/read.js';
import type { RowSource } from '../roster/rules.js';
import { hashOf } from '../util/string-table.js';

const EMPTY = -1;

export class EligibleRows {
  /** Open addressing: a row number, or EMPTY; at most three quarters full. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private waiting = 0;

  constructor(
    private readonly rows: RowSource,
    expected: number,
  ) {
    let capacity = 16;
    while (capacity * 3 < expected * 4) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.hashes = new Int32Array(capacity);
  }

  /** How many have not had their data yet. */
  get size(): number {
    return this.waiting;
  }

  add(did: string, rowIndex: number): void {
    if ((this.waiting + 1) * 4 > this.slots.length * 3) throw new RangeError('EligibleRows: more rows than expected');
    const hash = hashOf(did);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slots[slot] = rowIndex;
    this.hashes[slot] = hash;
    this.waiting++;
  }

  /** The waiting row with this DID, taken out (a DID's data is used once), or undefined. */
  take(did: string): { row: RosterRow; index: number } | undefined {
    const hash = hashOf(did);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; this.slots[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const index = this.slots[slot]!;
      if (index < 0 || this.hashes[slot] !== hash) continue;
      const row = this.rows.at(index)!;
      if (row.did !== did) continue;
      this.slots[slot] = TAKEN;
      this.waiting--;
      return { row, index };
    }
    return undefined;
  }

  /** Row numbers still waiting, in roster order. */
  remaining(): number[] {
    const left: number[] = [];
    for (const index of this.slots) if (index >= 0) left.push(index);
    return left.sort((a, b) => a - b);
  }
}

/** A taken slot: not empty (later keys may have probed past it), never matched again. */
const TAKEN = -2;
