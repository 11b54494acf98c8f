/**
 * check-bounces: reads what is new in the bounce mailbox since the last check, classifies it and
 * records it. Progress (UIDVALIDITY + last UID) is kept in the state DB after each message, so a
 * re-run or a crash counts nothing twice; nothing is deleted. Ours: flagged \Seen (and moved to
 * IMAP_DONE_MAILBOX). Not ours: left untouched and unread.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { SendLog } from '../outbox/send-log.js';
import { bounceSettings } from '../planning/return-path.js';
import { imapProgress, saveImapProgress } from '../storage/bounces.js';
import { acquireLock } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';
import { classifyMessage, DEFAULT_MAX_BYTES } from './classify.js';
import type { BounceMailbox } from './imap-mailbox.js';
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
    for (const entry of await mailbox.listAfter(after)) {
      result.read++;
      const raw = entry.size > maxBytes ? undefined : await mailbox.source(entry.uid, maxBytes + 1);
      const classified =
        raw === undefined
          ? ({ kind: 'not_ours', reason: 'too_large' } as const)
          : await classifyMessage(raw, {
              maxBytes,
              ...(returnPathLocal === undefined ? {} : { returnPathLocal }),
              ...(unsubscribeLocal === undefined ? {} : { unsubscribeLocal }),
            });
      const at = now();
      const handled = recordClassified(db, classified, deps.actor, at, options.dryRun);
      if (handled.kind === 'not_ours') {
        result.notOurs++;
        result.notOursByReason[handled.reason] = (result.notOursByReason[handled.reason] ?? 0) + 1;
      } else {
        if ('duplicate' in handled && handled.duplicate) result.duplicates++;
        else if (handled.kind === 'hard_bounce') result.hardBounces++;
        else if (handled.kind === 'soft_bounce') result.softBounces++;
        else if (handled.kind === 'opt_out') result.optOuts++;
        else result.autoReplies++;
        result.events.push(handled);
        if (!options.dryRun) {
          if (handled.kind !== 'auto_reply' && !handled.duplicate) {
            sendLog ??= new SendLog(config.OUTBOX_DIR);
            logOutcome(sendLog, db, handled, at);
          }
          await mailbox.markHandled(entry.uid);
        }
        log.info(
          { uid: entry.uid, kind: handled.kind, did: handled.did, run_id: handled.runId },
          'bounce mailbox message handled',
        );
      }
      if (!options.dryRun)
        saveImapProgress(
          db,
          config.IMAP_MAILBOX,
          { uidValidity: mailbox.uidValidity, lastUid: entry.uid },
          now().toISOString(),
        );
    }
  } finally {
    sendLog?.close();
    await mailbox.close();
    lock.release();
  }
  log.info({ ...result, events: undefined }, 'bounce mailbox checked');
  return result;
}
