/**
 * Participants we must not write to because of what came back: a hard bounce of the address the
 * roster still has (`email_bouncing`, until the address changes) or their own opt-out
 * (`opted_out_by_participant`); a warning for repeated soft bounces (`email_soft_bouncing`).
 * The findings name the DID and date, never the address.
 */
import { type Finding, participantFinding } from '../finding.js';
import type { RosterRow } from '../roster/read.js';
import { addressHash, SOFT_BOUNCE_WINDOW, type SuppressionIndex } from '../storage/suppressions.js';

/** The finding codes that block a participant because their address is suppressed. */
export const SUPPRESSION_CODES: ReadonlySet<string> = new Set(['email_bouncing', 'opted_out_by_participant']);

export function suppressionFindings(rows: Iterable<RosterRow>, index: SuppressionIndex): Finding[] {
  const findings: Finding[] = [];
  if (isEmpty(index)) return findings;
  for (const row of rows) {
    const finding = suppressionFinding(row, index);
    if (finding !== undefined) findings.push(finding);
  }
  return findings;
}

/** Nothing suppressed: the per-row check can be skipped. */
export const isEmpty = (index: SuppressionIndex): boolean =>
  index.byAddressHash.size === 0 && index.byDid.size === 0 && (index.softBouncing?.size ?? 0) === 0;

/** The row's suppression finding, if any (one row at a time: validate-day.ts checks the roster in one pass). */
export function suppressionFinding(
  row: Pick<RosterRow, 'row' | 'did' | 'email' | 'status'>,
  index: SuppressionIndex,
): Finding | undefined {
  if (row.status !== 'active' || row.did === '') return undefined;
  const byDid = index.byDid.get(row.did);
  if (byDid?.kind === 'opted_out')
    return participantFinding(
      row,
      'error',
      'opted_out_by_participant',
      `${row.did} asked to stop the daily e-mails on ${byDid.at.slice(0, 10)}; they are not e-mailed.`,
      `Follow up with the participant (this is not a withdrawal from the study) and set the row to opted_out. If they want the e-mails again: mail-updater suppression remove ${row.did}.`,
      'status',
    );
  const bounced = row.email.trim() === '' ? undefined : index.byAddressHash.get(addressHash(row.email));
  const hit = bounced ?? (byDid?.kind === 'bounced' ? byDid : undefined);
  if (hit !== undefined)
    return participantFinding(
      row,
      'error',
      'email_bouncing',
      `Mail to ${row.did}'s address bounced on ${hit.at.slice(0, 10)} (${hit.status ?? 'no status'}); it is not e-mailed.`,
      `Correct the address in the roster (a changed address is tried again), or after checking it: mail-updater suppression remove ${row.did}.`,
      'email',
    );
  const softCount = index.softBouncing?.get(row.did);
  if (softCount === undefined) return undefined;
  return participantFinding(
    row,
    'warning',
    'email_soft_bouncing',
    `Mail to ${row.did}'s address was deferred or soft-bounced in ${softCount} of the last ${SOFT_BOUNCE_WINDOW} sends; it is still e-mailed.`,
    'Check the address with the participant (a full mailbox or a misspelt domain); nothing is blocked until it bounces hard.',
    'email',
  );
}
