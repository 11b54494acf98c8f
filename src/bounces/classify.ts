/**
 * What one message in the bounce mailbox is: a bounce of one of our messages (hard or soft), an
 * automatic reply to one, an unsubscribe request, or not ours. Not ours is left alone by the
 * caller: unread, unmoved.
 *
 * Order matters: RFC 3464 reports first (they also say `Auto-Submitted: auto-replied`), then an
 * unsubscribe token, then the non-standard bounce shapes, then auto-replies. Everything except an
 * unsubscribe needs a reference to one of our messages (references.ts); without one it is not
 * ours, however much it looks like a bounce: another system may share the mailbox.
 *
 * Input is untrusted: a message over `maxBytes` is refused before parsing, and a message
 * mailparser cannot read is "not ours", never an exception.
 */

import { isAutoReply } from './auto-reply.js';
import { parseDeliveryStatus, type RecipientStatus, type Severity, severityOf } from './delivery-status.js';
import { cleanDiagnostic } from './diagnostic.js';
import { heuristicBounce, noticeDiagnostic } from './heuristics.js';
import { type ReadMessage, readMessage } from './message.js';
import { addReturnedHeaders, findRef, hasRef, type MessageRef, type RefSources } from './references.js';
import { findUnsubscribeToken } from './unsubscribe.js';

export type { Severity } from './delivery-status.js';
export type { MessageRef } from './references.js';

export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface Bounce {
  kind: 'bounce';
  severity: Severity;
  /** `rfc3464`: read from the delivery-status report; `heuristic`: from the notice's text. */
  format: 'rfc3464' | 'heuristic';
  /**
   * The failed recipient as the report gives it, in full, for the caller to match against the
   * roster. A participant's address: never log it or post it; use maskEmail() if it must be shown.
   */
  recipientAddress?: string;
  /** Enhanced status code, e.g. `5.1.1`. */
  status?: string;
  /** DSN Action, lower case (`failed`, `delayed`); absent for heuristic bounces. */
  action?: string;
  /** The remote diagnostic: one line, at most 500 characters, addresses masked. Safe to log. */
  diagnostic?: string;
  reportingMta?: string;
  arrivalDate?: string;
  ref: MessageRef;
}

export type NotOursReason =
  /** Over maxBytes: not parsed at all. */
  | 'too_large'
  /** mailparser could not read it. */
  | 'malformed'
  /** A bounce or auto-reply, but of nothing we sent (no tag, Message-ID or run header of ours). */
  | 'no_reference'
  /** A delivery report that reports success only (delivered, relayed, expanded). */
  | 'not_a_failure'
  /** None of the above: a newsletter, a person writing, spam. */
  | 'unrelated';

export type Classified =
  | Bounce
  | { kind: 'auto_reply'; ref: MessageRef }
  | { kind: 'unsubscribe'; token: string }
  | { kind: 'not_ours'; reason: NotOursReason };

export interface ClassifyOptions {
  /** Local part of MAIL_RETURN_PATH before any `+` (`bounces`); enables the envelope-tag route. */
  returnPathLocal?: string;
  /** Local part of MAIL_UNSUBSCRIBE_TO before any `+`; enables the `+unsub-<token>` route. */
  unsubscribeLocal?: string;
  /** Larger messages are refused unparsed (`too_large`). Default 1 MB. */
  maxBytes?: number;
}

const ENVELOPE_HEADERS = ['to', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

function refSources(m: ReadMessage): RefSources {
  const sources: RefSources = {
    envelopeAddresses: ENVELOPE_HEADERS.flatMap((name) => m.header(name)),
    messageIdFields: [...m.header('in-reply-to'), ...m.header('references')],
    runFields: [],
    text: m.text,
  };
  addReturnedHeaders(sources, m.returnedHeaders);
  return sources;
}

/** The recipient a report is about: the first hard failure, else the first soft one. */
function worstRecipient(recipients: RecipientStatus[]): { r: RecipientStatus; severity: Severity } | undefined {
  const rated = recipients.map((r) => ({ r, severity: severityOf(r) }));
  const pick = rated.find((x) => x.severity === 'hard') ?? rated.find((x) => x.severity === 'soft');
  return pick?.severity === undefined ? undefined : { r: pick.r, severity: pick.severity };
}

/** Drops undefined fields, so optional ones are absent rather than undefined (exactOptionalPropertyTypes). */
function withoutUndefined<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A run ID as our Message-IDs and X-Mail-Updater-Run carry it: `2026-11-29_20261130T090000_a1b2c3`. */
const RUN_ID_SHAPE = /\d{4}-\d{2}-\d{2}_\d{8}T\d{6}_[0-9a-f]{6}/;
/** Encoded parts can hide a reference from a byte search: such reports are always parsed. */
const ENCODED_REPORT = /base64/i;
const REPORTISH = /report|deliver|rfc822|undeliver|returned|failure/i;

/**
 * A cheap test on the raw bytes, before the full parse: false only when the message cannot be
 * one of ours, because nothing in it could name one of our messages (no run ID, no tagged
 * return-path or unsubscribe address, no "unsubscribe", no encoded report to look into).
 * Most of a shared mailbox is mail like that; parsing each one costs milliseconds.
 */
export function mayReferToUs(raw: Buffer, options: ClassifyOptions = {}): boolean {
  // Quoted-printable soft line breaks can split a reference: join them first.
  const text = raw.toString('latin1').replace(/=\r?\n/g, '');
  if (RUN_ID_SHAPE.test(text)) return true;
  const lower = text.toLowerCase();
  if (lower.includes('x-mail-updater-run') || lower.includes('unsubscribe')) return true;
  for (const local of [options.returnPathLocal, options.unsubscribeLocal])
    if (local !== undefined && lower.includes(`${local.toLowerCase()}+`)) return true;
  return ENCODED_REPORT.test(text) && REPORTISH.test(text);
}

export async function classifyMessage(raw: Buffer, options: ClassifyOptions = {}): Promise<Classified> {
  if (raw.length > (options.maxBytes ?? DEFAULT_MAX_BYTES)) return { kind: 'not_ours', reason: 'too_large' };
  let m: ReadMessage;
  try {
    m = await readMessage(raw);
  } catch {
    return { kind: 'not_ours', reason: 'malformed' };
  }
  const sources = refSources(m);
  const { returnPathLocal } = options;

  const reportText = m.deliveryStatus[0];
  if (reportText !== undefined) {
    const report = parseDeliveryStatus(reportText);
    if (report.postfixSender !== undefined) sources.envelopeAddresses.push(report.postfixSender);
    const worst = worstRecipient(report.recipients);
    if (worst !== undefined) {
      const ref = findRef(sources, returnPathLocal);
      if (!hasRef(ref)) return { kind: 'not_ours', reason: 'no_reference' };
      return withoutUndefined<Bounce>({
        kind: 'bounce',
        severity: worst.severity,
        format: 'rfc3464',
        recipientAddress: worst.r.address,
        status: worst.r.status,
        action: worst.r.action,
        diagnostic: cleanDiagnostic(worst.r.diagnostic ?? noticeDiagnostic(m)),
        reportingMta: report.reportingMta,
        arrivalDate: report.arrivalDate,
        ref,
      });
    }
    if (report.recipients.length > 0) return { kind: 'not_ours', reason: 'not_a_failure' };
    // A report with no recipient fields is broken: let the text speak (below).
  }

  const unsubscribe = findUnsubscribeToken(m, options.unsubscribeLocal);
  if (unsubscribe !== undefined) return { kind: 'unsubscribe', token: unsubscribe };

  const heuristic = heuristicBounce(m, returnPathLocal);
  if (heuristic !== undefined) {
    const ref = findRef(sources, returnPathLocal);
    if (!hasRef(ref)) return { kind: 'not_ours', reason: 'no_reference' };
    return withoutUndefined<Bounce>({
      kind: 'bounce',
      severity: heuristic.severity,
      format: 'heuristic',
      recipientAddress: heuristic.recipientAddress,
      status: heuristic.status,
      diagnostic: cleanDiagnostic(heuristic.diagnostic),
      ref,
    });
  }

  if (isAutoReply(m)) {
    const ref = findRef(sources, returnPathLocal);
    return hasRef(ref) ? { kind: 'auto_reply', ref } : { kind: 'not_ours', reason: 'no_reference' };
  }
  return { kind: 'not_ours', reason: 'unrelated' };
}
