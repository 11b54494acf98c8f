/**
 * Ledger + compliance → ReportData: counts per day, never a DID. The participants of a day are
 * the ones that day's runs considered (the roster of the day), each counted once:
 *   - messages: by the final state of their message (planned, never sent: not counted);
 *   - completion: unreachable (blocked, bounced, opted out), noData (skipped for no data, or no
 *     compliance row), else all / some / none of the surveys expected that day, from the
 *     compliance query's row the e-mail was made from (recorded in the ledger); the
 *     daily_compliance table only where the ledger has none (see compliance/completion.ts).
 * Paused and withdrawn participants are not part of the day. Days without a run are gaps.
 * A participant's final message of a day is the one that may have reached them (sending, sent,
 * unknown, bounced), otherwise the newest run's.
 *
 * Both databases are read in one plain scan each (no sort, no per-day query); DIDs are numbered
 * as they come, and each day holds two small typed arrays indexed by that number, so a
 * 10,000-participant, 8-week report keeps about a megabyte, not a map of 560,000 strings.
 */
import { COMPLETIONS, completionRows } from '../compliance/completion.js';
import type { ComplianceDb } from '../compliance/db.js';
import { messagesInRange } from '../storage/report-ledger.js';
import type { StateDb } from '../storage/state-db.js';
import { SUPPRESSION_CODES } from '../validation/suppressed.js';
import {
  type CompletionCategory,
  daysInRange,
  type MessageOutcome,
  type ReportData,
  type ReportDay,
  zeroCompletion,
  zeroMessages,
} from './model.js';

interface Classified {
  outcome: MessageOutcome | undefined;
  /** Set when the ledger alone decides it; otherwise the compliance row does. */
  completion: CompletionCategory | undefined;
}

/** undefined: not a participant that day (paused, withdrawn). */
export function classifyMessage(state: string, reason: string | null): Classified | undefined {
  switch (state) {
    case 'sent':
    case 'failed':
    case 'unknown':
      return { outcome: state, completion: undefined };
    case 'sending': // a send that died mid-message: it may have gone out
      return { outcome: 'unknown', completion: undefined };
    case 'bounced':
      return { outcome: 'bounced', completion: 'unreachable' };
    case 'blocked':
      return { outcome: 'blocked', completion: 'unreachable' };
    case 'skipped':
      if (reason === 'status_opted_out') return { outcome: 'optedOut', completion: 'unreachable' };
      if (reason?.startsWith('status_')) return undefined;
      if (reason === 'no_data_for_day') return { outcome: 'skipped', completion: 'noData' };
      return { outcome: 'skipped', completion: undefined };
    default: // planned: the run was never sent
      return { outcome: undefined, completion: undefined };
  }
}

const DELIVERY_STATES = new Set(['sending', 'sent', 'unknown', 'bounced']);

/**
 * A day's participants: per DID number, its final message (a code, 0 = none) and completion
 * (0 = not known yet, else 1 + index into COMPLETIONS).
 */
interface DayTable {
  message: Uint16Array;
  completion: Uint8Array;
}

export interface AggregatedReport {
  data: ReportData;
  /** Participant-days whose completion had to come from the daily_compliance table, not the ledger. */
  fromTable: number;
  /**
   * Per day of data.days: of its blocked messages, those blocked because the address is
   * suppressed (bounced earlier, or the participant opted out by e-mail); the rest were blocked
   * by other validation findings.
   */
  suppressed: number[];
}

/** A blocked message's reason is its findings' codes, comma-separated. */
const blockedBySuppression = (state: string, reason: string | null): boolean =>
  state === 'blocked' && (reason?.split(',').some((code) => SUPPRESSION_CODES.has(code)) ?? false);

/** `array`, or a copy twice as long (at least index + 1) when index is past its end. */
function grown<T extends Uint8Array | Uint16Array>(array: T, index: number, Make: new (length: number) => T): T {
  if (index < array.length) return array;
  const bigger = new Make(Math.max(index + 1, array.length * 2));
  bigger.set(array);
  return bigger;
}

export function aggregateReport(
  stateDb: StateDb,
  complianceDb: ComplianceDb,
  from: string,
  to: string,
  studyName?: string,
): ReportData {
  return aggregateReportWithSource(stateDb, complianceDb, from, to, studyName).data;
}

export function aggregateReportWithSource(
  stateDb: StateDb,
  complianceDb: ComplianceDb,
  from: string,
  to: string,
  studyName?: string,
): AggregatedReport {
  const dayIndex = new Map(daysInRange(from, to).map((d, i) => [d, i]));
  const tables: (DayTable | undefined)[] = [];
  const didNumber = new Map<string, number>();
  // Distinct (state, reason) pairs, numbered from 1; the code's message and completion follow.
  const codes = new Map<string, number>();
  const decoded: { delivered: boolean; suppressed: boolean; classified: Classified | undefined }[] = [
    { delivered: false, suppressed: false, classified: undefined },
  ];

  // Consecutive rows mostly share a date and a (state, reason): compare before hashing again.
  let lastDate: string | undefined;
  let d: number | undefined;
  let lastState: string | undefined;
  let lastReason: string | null | undefined;
  let code = 0;
  for (const [date, did, state, reason, recorded] of messagesInRange(stateDb, from, to)) {
    if (date !== lastDate) {
      lastDate = date;
      d = dayIndex.get(date);
    }
    if (d === undefined) continue;
    if (state !== lastState || reason !== lastReason) {
      lastState = state;
      lastReason = reason;
      const key = `${state}\u0000${reason ?? ''}`;
      const known = codes.get(key);
      if (known === undefined) {
        code = decoded.length;
        codes.set(key, code);
        decoded.push({
          delivered: DELIVERY_STATES.has(state),
          suppressed: blockedBySuppression(state, reason),
          classified: classifyMessage(state, reason),
        });
      } else code = known;
    }
    let n = didNumber.get(did);
    if (n === undefined) {
      n = didNumber.size;
      didNumber.set(did, n);
    }
    let table = tables[d];
    if (table === undefined) {
      table = { message: new Uint16Array(1024), completion: new Uint8Array(1024) };
      tables[d] = table;
    }
    table.message = grown(table.message, n, Uint16Array);
    const previous = table.message[n]!;
    // Rows come in id order: a newer run's row replaces an older one, unless that one may have reached them.
    if (previous === 0 || !decoded[previous]!.delivered || decoded[code]!.delivered) {
      table.message[n] = code;
      table.completion = grown(table.completion, n, Uint8Array);
      table.completion[n] = recorded !== null && recorded >= 0 && recorded < COMPLETIONS.length ? recorded + 1 : 0;
    }
  }

  // Participant-days the ledger leaves open: read the table for those alone, and only if any.
  let fromTable = 0;
  for (const table of tables) {
    table?.message.forEach((code, n) => {
      const c = code === 0 ? undefined : decoded[code]!.classified;
      if (c !== undefined && c.completion === undefined && (table.completion[n] ?? 0) === 0) fromTable++;
    });
  }
  if (fromTable > 0)
    for (const [day, did, completion] of completionRows(complianceDb, from, to)) {
      const table = tables[dayIndex.get(day) ?? -1];
      const n = didNumber.get(did);
      if (table === undefined || n === undefined || n >= table.message.length || table.message[n] === 0) continue;
      table.completion = grown(table.completion, n, Uint8Array);
      // Only where the ledger had no code: the e-mail's own source wins.
      if (table.completion[n] === 0) table.completion[n] = completion + 1;
    }

  const days: ReportDay[] = [];
  const suppressed: number[] = [];
  for (const [date, d] of dayIndex) {
    const table = tables[d];
    if (table === undefined) continue;
    const messages = zeroMessages();
    const completion = zeroCompletion();
    let suppressedToday = 0;
    table.message.forEach((code, n) => {
      const c = code === 0 ? undefined : decoded[code]!.classified;
      if (c === undefined) return;
      if (c.outcome !== undefined) messages[c.outcome]++;
      if (decoded[code]!.suppressed) suppressedToday++;
      const row = table.completion[n] ?? 0;
      completion[c.completion ?? (row === 0 ? 'noData' : COMPLETIONS[row - 1]!)]++;
    });
    days.push({ date, messages, completion });
    suppressed.push(suppressedToday);
  }
  return { data: { ...(studyName === undefined ? {} : { studyName }), from, to, days }, fromTable, suppressed };
}
