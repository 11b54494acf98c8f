/**
 * send_log.jsonl lines for what came back after a send: `bounced`, `soft_bounced`, `opted_out`,
 * with the fields of the send's own line (the message's masked address, Message-ID, attempts,
 * the run's template hash) and the diagnostic as `error`, addresses masked. Never in a dry run.
 */
import type { SendLog, SendLogEntry } from '../outbox/send-log.js';
import { getMessage } from '../storage/messages.js';
import { getRun } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { maskAddressesInText } from '../util/mask.js';
import type { Handled } from './record.js';

const STATUS = { hard_bounce: 'bounced', soft_bounce: 'soft_bounced', opt_out: 'opted_out' } as const;

/** "5.1.1 <diagnostic>", the status once: diagnostics often quote it already. */
function errorOf(status: string | undefined, diagnostic: string | undefined): string | undefined {
  if (diagnostic === undefined) return status;
  return status === undefined || diagnostic.includes(status) ? diagnostic : `${status} ${diagnostic}`;
}

/** The line for a newly recorded outcome; undefined for anything else (auto-replies, duplicates). */
export function outcomeLogEntry(db: StateDb, handled: Handled, at: Date): SendLogEntry | undefined {
  if (handled.kind !== 'hard_bounce' && handled.kind !== 'soft_bounce' && handled.kind !== 'opt_out') return undefined;
  if (handled.duplicate) return undefined;
  const message = getMessage(db, handled.runId, handled.did);
  const run = getRun(db, handled.runId);
  if (message === undefined || run === undefined) return undefined;
  const error = handled.kind === 'opt_out' ? undefined : errorOf(handled.status, handled.diagnostic);
  return {
    ts: at.toISOString(),
    run_id: handled.runId,
    report_date: handled.reportDate,
    did: handled.did,
    status: STATUS[handled.kind],
    dry_run: false,
    attempt: message.attempts,
    message_id: message.message_id,
    to_masked: message.to_masked,
    template_hash: run.template_hash,
    ...(error === undefined ? {} : { error: maskAddressesInText(error) }),
  };
}

export function logOutcome(log: SendLog, db: StateDb, handled: Handled, at: Date): void {
  const entry = outcomeLogEntry(db, handled, at);
  if (entry !== undefined) log.append(entry);
}
