/**
 * Ledger + compliance → ReportData: counts per day, never a DID. The participants of a day are
 * the ones that day's runs considered (the roster of the day), each counted once:
 *   - messages: by the final state of their message (planned, never sent: not counted);
 *   - completion: unreachable (blocked, bounced, opted out), noData (skipped for no data, or no
 *     compliance row), else all / some / none of the surveys expected that day.
 * Paused and withdrawn participants are not part of the day. Days without a run are gaps.
 */
import { type Completion, completionByDay } from '../compliance/completion.js';
import type { ComplianceDb } from '../compliance/db.js';
import { finalMessages } from '../storage/report-ledger.js';
import type { StateDb } from '../storage/state-db.js';
import {
  type CompletionCategory,
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

export function aggregateReport(
  stateDb: StateDb,
  complianceDb: ComplianceDb,
  from: string,
  to: string,
  studyName?: string,
): ReportData {
  const completions = completionByDay(complianceDb, from, to);
  let next = completions.next();
  const empty = new Map<string, Completion>();
  const days: ReportDay[] = [];
  let current: { date: string; messages: ReportDay['messages']; completion: ReportDay['completion'] } | undefined;
  let byDid = empty;
  for (const [date, did, state, reason] of finalMessages(stateDb, from, to)) {
    if (current?.date !== date) {
      current = { date, messages: zeroMessages(), completion: zeroCompletion() };
      days.push(current);
      while (!next.done && next.value.day < date) next = completions.next();
      byDid = !next.done && next.value.day === date ? next.value.byDid : empty;
    }
    const c = classifyMessage(state, reason);
    if (c === undefined) continue;
    const messages = current.messages as Record<MessageOutcome, number>;
    const completion = current.completion as Record<CompletionCategory, number>;
    if (c.outcome !== undefined) messages[c.outcome]++;
    completion[c.completion ?? byDid.get(did) ?? 'noData']++;
  }
  completions.return(undefined);
  return { ...(studyName === undefined ? {} : { studyName }), from, to, days };
}
