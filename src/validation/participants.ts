/**
 * What validation decided for every roster row: eligible for a message, skipped (and why) or
 * blocked (by which findings). One byte a row plus the few blocked rows' codes; each entry's
 * row is made from the roster's bytes only when it is read, so a 100,000-row roster's
 * classification is 100 KB, not 100,000 objects held through the dry run.
 */
import { ROSTER_STATUSES, type RosterRow } from '../roster/read.js';
import type { RowSource } from '../roster/rules.js';

export type Classification =
  | { kind: 'eligible'; row: RosterRow; index: number }
  | { kind: 'skipped'; row: RosterRow; index: number; reason: string }
  | { kind: 'blocked'; row: RosterRow; index: number; codes: string[] };

export type Kind = Classification['kind'];

/** A row's standing before the findings are applied: 0 eligible, 1 no data, 2 + i: ROSTER_STATUSES[i]. */
export const ELIGIBLE = 0;
export const NO_DATA = 1;
const STATUS_BASE = 2;

/** The standing of a row whose status is ROSTER_STATUSES[status], not active. */
export const statusStanding = (status: number): number => STATUS_BASE + status;

export function standingOf(row: RosterRow, hasData: boolean): number {
  if (row.status !== 'active') {
    const status = (ROSTER_STATUSES as readonly string[]).indexOf(row.status);
    // An unknown status is an error finding, so the row is blocked whatever its standing says.
    return status === -1 ? NO_DATA : statusStanding(status);
  }
  return hasData ? ELIGIBLE : NO_DATA;
}

export class Participants implements Iterable<Classification> {
  constructor(
    private readonly rows: RowSource,
    private readonly standings: Uint8Array,
    /** Error codes of the blocked rows, by row index. */
    private readonly blocked: ReadonlyMap<number, string[]>,
    /** 1 for the first row of each DID (RosterChecker.check). */
    private readonly firstOfDid: Uint8Array,
  ) {}

  /** A repeated DID's later rows are blocked like its first; the ledger keeps the first only. */
  isFirstOfDid(index: number): boolean {
    return this.firstOfDid[index] === 1;
  }

  get length(): number {
    return this.rows.length;
  }

  kindAt(index: number): Kind {
    if (this.blocked.has(index)) return 'blocked';
    return this.standings[index] === ELIGIBLE ? 'eligible' : 'skipped';
  }

  at(index: number): Classification {
    const row = this.rows.at(index)!;
    const codes = this.blocked.get(index);
    if (codes !== undefined) return { kind: 'blocked', row, index, codes };
    const standing = this.standings[index]!;
    if (standing === ELIGIBLE) return { kind: 'eligible', row, index };
    const reason = standing === NO_DATA ? 'no_data_for_day' : `status_${ROSTER_STATUSES[standing - STATUS_BASE]}`;
    return { kind: 'skipped', row, index, reason };
  }

  counts(): Record<Kind, number> {
    const counts: Record<Kind, number> = { eligible: 0, skipped: 0, blocked: 0 };
    for (let i = 0; i < this.length; i++) counts[this.kindAt(i)]++;
    return counts;
  }

  *[Symbol.iterator](): Iterator<Classification> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
