/**
 * check-bounces: reads what is new in the bounce mailbox since the last check, classifies it and
 * records it. Messages are fetched in bounded batches (never the whole mailbox in memory); each
 * batch's records and the progress past it (UIDVALIDITY + last UID) are one transaction in the
 * state DB, so a re-run or a crash counts nothing twice; nothing is deleted. Ours: flagged \Seen (and moved to
 * IMAP_DONE_MAILBOX). Not ours: left untouched and unread.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { SendLog } from '../outbox/send-log.js';
import { bounceSettings } from '../planning/return-path.js';
import { imapProgress, saveImapProgress } from '../storage/bounces.js';
import { acquireLock } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';
import { type Classified, classifyMessage, DEFAULT_MAX_BYTES, mayReferToUs } from './classify.js';
import type { BounceMailbox, MailboxEntry } from './imap-mailbox.js';
import { logOutcome } from './log-outcome.js';
import { type Handled, recordClassified } from './record.js';
import { baseLocal } from './token.js';

export interface CheckDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  actor: string;
  openMailbox: (maxBytes: number) => Promise<BounceMailbox>;
}

export interface CheckResult {
  dryRun: boolean;
  mailbox: string;
  /** Messages read this time (new since the last check). */
  read: number;
  hardBounces: number;
  softBounces: number;
  optOuts: number;
  autoReplies: number;
  /** Ours, but already recorded (e.g. a second DSN for the same message). */
  duplicates: number;
  notOurs: number;
  notOursByReason: Record<string, number>;
  /** What was recorded, by DID (no addresses): for Slack and --json. */
  events: Exclude<Handled, { kind: 'not_ours' }>[];
}

/** At most this many messages, and this many bytes of sources, fetched at once. */
const BATCH_MESSAGES = 200;
const BATCH_BYTES = 8 * 1024 * 1024;

/** Consecutive entries in batches bounded by count and total size (one message over the cap alone). */
export function* batches(entries: readonly MailboxEntry[], maxBytes: number): Generator<MailboxEntry[]> {
  let batch: MailboxEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entry.size > maxBytes ? 0 : entry.size;
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

export async function checkBounces(deps: CheckDeps, options: { dryRun: boolean }): Promise<CheckResult> {
  const { db, config, now } = deps;
  const log = deps.logger.child({ component: 'bounces' });
  const maxBytes = DEFAULT_MAX_BYTES;
  const returnPathLocal = baseLocal(config.MAIL_RETURN_PATH ?? '');
  const unsubscribeLocal = baseLocal(bounceSettings(config).unsubscribeTo ?? '');
  const result: CheckResult = {
    dryRun: options.dryRun,
    mailbox: config.IMAP_MAILBOX,
    read: 0,
    hardBounces: 0,
    softBounces: 0,
    optOuts: 0,
    autoReplies: 0,
    duplicates: 0,
    notOurs: 0,
    notOursByReason: {},
    events: [],
  };
  // One check at a time (the schedule and an operator's CLI): each message is read once.
  const lock = acquireLock(db, 'check-bounces', now);
  let mailbox: BounceMailbox;
  try {
    mailbox = await deps.openMailbox(maxBytes);
  } catch (error) {
    lock.release();
    throw error;
  }
  // Opened at the first outcome to log: a check that finds nothing touches no file.
  let sendLog: SendLog | undefined;
  try {
    const progress = imapProgress(db, config.IMAP_MAILBOX);
    // A new UIDVALIDITY means the server renumbered the mailbox: start over (already-recorded
    // bounces are recognised as duplicates by the ledger).
    const after = progress?.uidValidity === mailbox.uidValidity ? progress.lastUid : 0;
    const classifyOptions = {
      maxBytes,
      ...(returnPathLocal === undefined ? {} : { returnPathLocal }),
      ...(unsubscribeLocal === undefined ? {} : { unsubscribeLocal }),
    };
    for (const batch of batches(await mailbox.listAfter(after), maxBytes)) {
      // One FETCH per batch (a round trip per message was most of the time); at most
      // BATCH_BYTES of sources in memory, released before the next batch.
      const wanted = batch.filter((e) => e.size <= maxBytes).map((e) => e.uid);
      const sources = await mailbox.sources(wanted, maxBytes + 1);
      const classified: { uid: number; c: Classified }[] = [];
      for (const entry of batch) {
        const raw = sources.get(entry.uid);
        sources.delete(entry.uid);
        classified.push({
          uid: entry.uid,
          c:
            raw === undefined || raw.length > maxBytes
              ? { kind: 'not_ours', reason: 'too_large' }
              : // Most of a shared mailbox names nothing of ours: skip the full parse.
                mayReferToUs(raw, classifyOptions)
                ? await classifyMessage(raw, classifyOptions)
                : { kind: 'not_ours', reason: 'no_reference' },
        });
      }
      // The batch's records and the progress past it in one transaction: a crash re-reads the
      // whole batch or none of it, so nothing is counted twice.
      const handledUids: number[] = [];
      const toLog: { handled: Exclude<Handled, { kind: 'not_ours' }>; at: Date }[] = [];
      db.transaction(() => {
        for (const { uid, c } of classified) {
          result.read++;
          const at = now();
          const handled = recordClassified(db, c, deps.actor, at, options.dryRun);
          if (handled.kind === 'not_ours') {
            result.notOurs++;
            result.notOursByReason[handled.reason] = (result.notOursByReason[handled.reason] ?? 0) + 1;
            continue;
          }
          if ('duplicate' in handled && handled.duplicate) result.duplicates++;
          else if (handled.kind === 'hard_bounce') result.hardBounces++;
          else if (handled.kind === 'soft_bounce') result.softBounces++;
          else if (handled.kind === 'opt_out') result.optOuts++;
          else result.autoReplies++;
          result.events.push(handled);
          handledUids.push(uid);
          if (handled.kind !== 'auto_reply' && !handled.duplicate) toLog.push({ handled, at });
          log.info(
            { uid, kind: handled.kind, did: handled.did, run_id: handled.runId },
            'bounce mailbox message handled',
          );
        }
        const last = batch.at(-1);
        if (!options.dryRun && last !== undefined)
          saveImapProgress(
            db,
            config.IMAP_MAILBOX,
            { uidValidity: mailbox.uidValidity, lastUid: last.uid },
            now().toISOString(),
          );
      })();
      if (!options.dryRun) {
        // send_log.jsonl after the commit: a line never tells of a record that was rolled back.
        if (toLog.length > 0) sendLog ??= new SendLog(config.OUTBOX_DIR);
        for (const { handled, at } of toLog) logOutcome(sendLog!, db, handled, at);
        await mailbox.markHandled(handledUids);
      }
    }
  } finally {
    sendLog?.close();
    await mailbox.close();
    lock.release();
  }
  log.info({ ...result, events: undefined }, 'bounce mailbox checked');
  return result;
}
