/**
 * What a classified message does to the ledger. A returned message is matched to one of ours by
 * its envelope token, then its Message-ID, then run ID + recipient; a reference the ledger does
 * not know is not ours (left unread). Hard bounce: `sent` → `bounced` and the address is
 * suppressed; soft bounce: counted on the message; opt-out: recorded and the DID suppressed.
 */
import { audit } from '../storage/audit.js';
import {
  type BouncedMessageRow,
  countSoftBounce,
  markBounced,
  markOptedOut,
  messageByMessageId,
  messageByReturnPathToken,
  messageByUnsubscribeToken,
  messagesOfRunTo,
} from '../storage/bounces.js';
import type { StateDb } from '../storage/state-db.js';
import { addSuppression } from '../storage/suppressions.js';
import { maskEmail } from '../util/mask.js';
import type { Bounce, Classified, MessageRef } from './classify.js';
import { isToken } from './token.js';

export type Handled =
  | {
      kind: 'hard_bounce' | 'soft_bounce';
      did: string;
      runId: string;
      reportDate: string;
      status?: string;
      diagnostic?: string;
      duplicate: boolean;
    }
  | { kind: 'auto_reply'; did: string; runId: string }
  | { kind: 'opt_out'; did: string; runId: string; reportDate: string; duplicate: boolean }
  | { kind: 'not_ours'; reason: string };

export function matchMessage(
  db: StateDb,
  ref: MessageRef,
  recipient: string | undefined,
): BouncedMessageRow | undefined {
  if (ref.returnPathToken !== undefined) {
    const byToken = messageByReturnPathToken(db, ref.returnPathToken);
    if (byToken !== undefined) return byToken;
  }
  if (ref.messageId !== undefined) {
    const byId = messageByMessageId(db, ref.messageId);
    if (byId !== undefined) return byId;
  }
  if (ref.runId !== undefined && recipient !== undefined) {
    const candidates = messagesOfRunTo(db, ref.runId, maskEmail(recipient));
    // A masked address is not unique: only an unambiguous match counts.
    if (candidates.length === 1) return candidates[0];
  }
  return undefined;
}

function recordBounce(db: StateDb, bounce: Bounce, actor: string, now: Date): Handled {
  const message = matchMessage(db, bounce.ref, bounce.recipientAddress);
  if (message === undefined) return { kind: 'not_ours', reason: 'unknown_reference' };
  const at = now.toISOString();
  const base = {
    did: message.did,
    runId: message.run_id,
    reportDate: message.report_date,
    ...(bounce.status === undefined ? {} : { status: bounce.status }),
    ...(bounce.diagnostic === undefined ? {} : { diagnostic: bounce.diagnostic }),
  };
  if (bounce.severity === 'soft') {
    countSoftBounce(db, message.id, bounce.status ?? null, at);
    return { kind: 'soft_bounce', ...base, duplicate: false };
  }
  const fresh = db.transaction(() => {
    const changed = markBounced(db, message.id, bounce.status ?? null, bounce.diagnostic ?? null, at);
    addSuppression(
      db,
      {
        kind: 'bounced',
        did: message.did,
        address: bounce.recipientAddress,
        toMasked: bounce.recipientAddress === undefined ? message.to_masked : maskEmail(bounce.recipientAddress),
        status: bounce.status ?? null,
        runId: message.run_id,
      },
      at,
    );
    if (changed)
      audit(
        db,
        {
          actor,
          action: 'bounce_recorded',
          runId: message.run_id,
          reportDate: message.report_date,
          detail: { did: message.did, status: bounce.status ?? null, diagnostic: bounce.diagnostic ?? null },
        },
        now,
      );
    return changed;
  })();
  return { kind: 'hard_bounce', ...base, duplicate: !fresh };
}

/**
 * Records a participant's opt-out by the unsubscribe token of one of our messages: the e-mail
 * path (check-bounces) and one-click POST /unsubscribe both come here. Idempotent: a second
 * request for the same message is `duplicate` and changes nothing.
 */
export function recordOptOut(
  db: StateDb,
  token: string,
  actor: string,
  now: Date,
): Extract<Handled, { kind: 'opt_out' | 'not_ours' }> {
  if (!isToken(token)) return { kind: 'not_ours', reason: 'unknown_token' };
  const message = messageByUnsubscribeToken(db, token);
  if (message === undefined) return { kind: 'not_ours', reason: 'unknown_token' };
  const at = now.toISOString();
  const fresh = db.transaction(() => {
    const changed = markOptedOut(db, message.id, at);
    addSuppression(db, { kind: 'opted_out', did: message.did, runId: message.run_id }, at);
    if (changed)
      audit(
        db,
        {
          actor,
          action: 'opt_out_recorded',
          runId: message.run_id,
          reportDate: message.report_date,
          detail: { did: message.did },
        },
        now,
      );
    return changed;
  })();
  return {
    kind: 'opt_out',
    did: message.did,
    runId: message.run_id,
    reportDate: message.report_date,
    duplicate: !fresh,
  };
}

/** Records one classified message; `dryRun` only matches. */
export function recordClassified(db: StateDb, c: Classified, actor: string, now: Date, dryRun: boolean): Handled {
  if (c.kind === 'not_ours') return { kind: 'not_ours', reason: c.reason };
  if (dryRun) {
    const message =
      c.kind === 'unsubscribe'
        ? messageByUnsubscribeToken(db, c.token)
        : matchMessage(db, c.ref, c.kind === 'bounce' ? c.recipientAddress : undefined);
    if (message === undefined) return { kind: 'not_ours', reason: 'unknown_reference' };
    const runId = message.run_id;
    if (c.kind === 'auto_reply') return { kind: 'auto_reply', did: message.did, runId };
    if (c.kind === 'unsubscribe')
      return { kind: 'opt_out', did: message.did, runId, reportDate: message.report_date, duplicate: false };
    const kind = c.severity === 'hard' ? 'hard_bounce' : 'soft_bounce';
    return { kind, did: message.did, runId, reportDate: message.report_date, duplicate: message.state === 'bounced' };
  }
  if (c.kind === 'unsubscribe') return recordOptOut(db, c.token, actor, now);
  if (c.kind === 'auto_reply') {
    const message = matchMessage(db, c.ref, undefined);
    return message === undefined
      ? { kind: 'not_ours', reason: 'unknown_reference' }
      : { kind: 'auto_reply', did: message.did, runId: message.run_id };
  }
  return recordBounce(db, c, actor, now);
}
