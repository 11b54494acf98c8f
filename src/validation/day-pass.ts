/**
 * validateDay's pass over the roster, one row at a time as it is read (`visit`), then joined with
 * the day's data once the compliance database has answered (`join`): the roster is read while the
 * day's query runs beside it (compliance/day-query-aside.ts), so a row cannot be looked up in the
 * day's DIDs as it goes by. It keeps what the join needs instead, a few bytes a row: the row's
 * standing and its DID's number in the roster checker's table. The join then looks each of the
 * day's DIDs up in that table, comparing bytes, and decodes only the DIDs it reports.
 */
import type { DayData } from '../compliance/db.js';
import type { Implausible } from '../compliance/plausibility.js';
import { type Finding, participantFinding } from '../finding.js';
import { NOT_PLAIN, PLAIN_ACTIVE, plainStanding } from '../roster/plain-row.js';
import type { OnPlainRow, OnRow } from '../roster/read.js';
import { RosterChecker } from '../roster/rules.js';
import type { ActiveDids } from '../storage/participants-seen.js';
import type { SuppressionIndex } from '../storage/suppressions.js';
import { MultisetFingerprint } from '../util/multiset-fingerprint.js';
import { grow } from '../util/string-table.js';
import { dataBlockedFinding } from './data-findings.js';
import { ELIGIBLE, NO_DATA, standingOf, statusStanding } from './participants.js';
import { isEmpty, suppressionFinding } from './suppressed.js';

export interface DayPassOptions {
  /** The state DB's suppressions (bounced addresses, opt-outs), when it is at hand. */
  suppressed?: SuppressionIndex | undefined;
  /** Called once the roster and the day have been read, with the DIDs of the active rows (onboarding.ts seenRecorder). */
  onActive?: ((active: ActiveDids) => void) | undefined;
}

/** What the join found, in roster order. */
export interface DayJoin {
  /** Active rows with no data on the day (none when the day has no data at all). */
  withoutData: Finding[];
  /** Their DIDs: the candidates for a "Did you mean" correction. */
  orphans: string[];
  /** The day's DIDs that no roster row has. */
  unknown: string[];
  /** Active rows whose data for the day cannot be true. */
  impossible: Finding[];
}

export class DayPass {
  readonly checker: RosterChecker;
  /** Per row: its standing (participants.ts), ELIGIBLE for an active row with a DID until the join. */
  private standings = new Uint8Array(1024);
  private firstOfDid = new Uint8Array(1024);
  /** Per row: its DID's number in the checker's table, or -1 (no DID). */
  private didKeys = new Int32Array(1024);
  /** Per row: 1 when it is active and has a DID. */
  private active = new Uint8Array(1024);
  private rows = 0;
  /** The active rows' DIDs, as a multiset. */
  private readonly activeFingerprint = new MultisetFingerprint();
  readonly suppressions: Finding[] = [];
  private readonly checkSuppressions: boolean;

  /** `expectedRows`: about how many rows the roster has (read.ts estimatedRows), to size the tables once. */
  constructor(
    private readonly options: DayPassOptions = {},
    expectedRows = 0,
  ) {
    this.checker = new RosterChecker(expectedRows);
    this.checkSuppressions = options.suppressed !== undefined && !isEmpty(options.suppressed);
  }

  readonly visit: OnRow = (row, i) => {
    this.makeRoom(i);
    const didKey = this.checker.check(row, i);
    this.didKeys[i] = didKey;
    if (didKey !== -1 && this.checker.firstRowOfDid(didKey) === i) this.firstOfDid[i] = 1;
    const active = row.status === 'active' && row.did !== '';
    this.standings[i] = standingOf(row, active);
    if (!active) return;
    this.active[i] = 1;
    this.activeFingerprint.add(row.did);
    if (this.checkSuppressions) {
      const suppression = suppressionFinding(row, this.options.suppressed!);
      if (suppression !== undefined) this.suppressions.push(suppression);
    }
  };

  /**
   * `visit` for a plain row (roster/plain-row.ts), on its bytes: true when it has been taken as
   * `visit` would have taken it; false, before anything is changed, for a row to be made and
   * visited instead (a rule or a suppression has something to say about it).
   */
  readonly visitPlain: OnPlainRow = (row, i) => {
    const standing = plainStanding(row);
    if (standing === NOT_PLAIN) return false;
    const active = standing === PLAIN_ACTIVE;
    const { bytes, layout, starts, ends } = row;
    const didStart = starts[layout.did]!;
    const didEnd = ends[layout.did]!;
    if (active && this.checkSuppressions) {
      const did = bytes.toString('latin1', didStart, didEnd);
      const email = bytes.toString('latin1', starts[layout.email]!, ends[layout.email]!);
      const suppressed = { row: row.line, did, email, status: 'active' };
      if (suppressionFinding(suppressed, this.options.suppressed!) !== undefined) return false;
    }
    this.makeRoom(i);
    const didKey = this.checker.checkPlain(row, i, active);
    this.didKeys[i] = didKey;
    if (this.checker.firstRowOfDid(didKey) === i) this.firstOfDid[i] = 1;
    this.standings[i] = active ? ELIGIBLE : statusStanding(standing);
    if (!active) return true;
    this.active[i] = 1;
    this.activeFingerprint.addAscii(bytes, didStart, didEnd);
    return true;
  };

  /** Room for row `i` in the per-row arrays. */
  private makeRoom(i: number): void {
    if (i === this.standings.length) {
      this.standings = grow(this.standings, i * 2);
      this.firstOfDid = grow(this.firstOfDid, i * 2);
      this.didKeys = grow(this.didKeys, i * 2);
      this.active = grow(this.active, i * 2);
    }
    this.rows = i + 1;
  }

  /** Hands the active rows' DIDs to `onActive`, if given (validateDay: once the day's data is read too). */
  reportActive(): void {
    const { onActive } = this.options;
    if (onActive === undefined) return;
    const { rows, active, didKeys } = this;
    const table = this.checker.didTable;
    onActive({
      fingerprint: this.activeFingerprint.toString(),
      *dids() {
        for (let i = 0; i < rows; i++) if (active[i] === 1) yield table.keyAt(didKeys[i]!);
      },
    });
  }

  /**
   * The rows against the day's DIDs: an active row without data loses its ELIGIBLE standing.
   * `lineAt` gives a row's line number (RowStore.lineAt).
   */
  join(
    day: DayData,
    implausible: ReadonlyMap<string, Implausible>,
    lineAt: (index: number) => number,
    reportDate: string,
  ): DayJoin {
    const dids = this.checker.didTable;
    const hasData = new Uint8Array(dids.size);
    const unknown: string[] = [];
    for (let k = 0; k < day.dids.size; k++) {
      const mine = dids.indexOfKeyOf(day.dids, k);
      if (mine === -1) unknown.push(day.dids.keyAt(k));
      else hasData[mine] = 1;
    }
    const problems = new Map<number, Implausible>();
    for (const [did, problem] of implausible) {
      const mine = dids.indexOf(did);
      if (mine !== -1) problems.set(mine, problem);
    }
    const withoutData: Finding[] = [];
    const orphans: string[] = [];
    const impossible: Finding[] = [];
    for (let i = 0; i < this.rows; i++) {
      if (this.standings[i] !== ELIGIBLE) continue;
      const didKey = this.didKeys[i]!;
      if (hasData[didKey] === 1) {
        const problem = problems.get(didKey);
        if (problem !== undefined) {
          const participant = { row: lineAt(i), did: dids.keyAt(didKey) };
          impossible.push(dataBlockedFinding(participant, 'impossible_data', problem.field, problem.message));
        }
        continue;
      }
      this.standings[i] = NO_DATA;
      if (day.dids.size === 0) continue;
      const participant = { row: lineAt(i), did: dids.keyAt(didKey) };
      orphans.push(participant.did);
      withoutData.push(noDataFinding(participant, reportDate));
    }
    return { withoutData, orphans, unknown, impossible };
  }

  /** Per row, its standing; final once `join` has run. */
  get standingsByRow(): Uint8Array {
    return this.standings;
  }

  /** Per row, 1 for the first row of its DID. */
  get firstOfDidByRow(): Uint8Array {
    return this.firstOfDid;
  }
}

function noDataFinding(participant: { row: number; did: string }, reportDate: string): Finding {
  return participantFinding(
    participant,
    'warning',
    'no_data_for_day',
    `No compliance data for ${reportDate}; this participant is skipped today (never told "0 of N").`,
    'Nothing to do if the device did not sync; if it persists, check the DID against the compliance database.',
  );
}
