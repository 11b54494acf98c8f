/**
 * The adherence link in `status` and App Home: for the last 14 report dates, how many of the
 * day's participants could not be reached (bounced, suppressed, blocked by validation, opted
 * out) next to the survey
 * completion of the ones who were, so "non-compliant because we never reached them" is told apart
 * from "reached, but non-compliant". Counts only, from the weekly report's aggregation.
 */
import type { CommandContext } from '../src/command.js';
import { openComplianceDb } from '../src/compliance/db.js';
import { aggregateReportWithSource } from '../src/report/aggregate.js';
import { addDays } from '../src/util/dates.js';

export const ADHERENCE_DAYS = 14;

export interface AdherenceDay {
  report_date: string;
  /** The day's participants (the ones its run considered, paused and withdrawn left out). */
  participants: number;
  /** Could not be reached: the sum of the four below. */
  unreachable: number;
  bounced: number;
  /** Not e-mailed: the address is suppressed (it bounced earlier, or they opted out by e-mail). */
  suppressed: number;
  /** Not e-mailed: blocked by another validation finding (an invalid address, a duplicate, ...). */
  blocked: number;
  /** Not e-mailed: the roster's status is opted_out. */
  opted_out: number;
  /** Reached (or at least e-mailed): their surveys that day. */
  reached: { all: number; some: number; none: number; no_data: number };
}

export interface Adherence {
  from: string;
  to: string;
  /** Report dates with a run, newest first. */
  days: AdherenceDay[];
}

/** The last ADHERENCE_DAYS report dates up to `to`; throws when the compliance DB cannot be read. */
export function adherence(ctx: Pick<CommandContext, 'config' | 'stateDb'>, to: string): Adherence {
  const from = addDays(to, 1 - ADHERENCE_DAYS);
  const compliance = openComplianceDb(ctx.config.COMPLIANCE_DB_PATH);
  try {
    const { data, suppressed } = aggregateReportWithSource(ctx.stateDb(), compliance, from, to);
    const days = data.days
      .map((d, i): AdherenceDay => {
        const c = d.completion;
        return {
          report_date: d.date,
          participants: c.all + c.some + c.none + c.noData + c.unreachable,
          unreachable: c.unreachable,
          bounced: d.messages.bounced,
          suppressed: suppressed[i]!,
          blocked: d.messages.blocked - suppressed[i]!,
          opted_out: d.messages.optedOut,
          reached: { all: c.all, some: c.some, none: c.none, no_data: c.noData },
        };
      })
      .reverse();
    return { from, to, days };
  } finally {
    compliance.close();
  }
}

/** One line per day, for the text output and App Home. */
export function adherenceLine(d: AdherenceDay): string {
  return `${d.report_date}: not reached ${d.unreachable} (bounced ${d.bounced}, suppressed ${d.suppressed}, blocked by validation ${d.blocked}, opted out ${d.opted_out}) · reached: all surveys ${d.reached.all}, some ${d.reached.some}, none ${d.reached.none}, no data ${d.reached.no_data}`;
}
