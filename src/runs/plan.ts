/**
 * The dry run: validate, then render every eligible participant's message to the exact bytes
 * that will be sent, write them as .eml files, record them in the ledger with their hashes and
 * hash the whole batch. Messages are streamed to disk one at a time: memory stays flat however
 * large the roster is.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { JobRefusedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { composeMessage } from '../mail/compose.js';
import { parseMailbox, type Mailbox } from '../mail/address.js';
import { renderTemplates } from '../mail/templates.js';
import { rosterFields } from '../roster/read.js';
import { longDate } from '../util/dates.js';
import { ensurePrivateDir } from '../util/fs.js';
import { maskEmail } from '../util/mask.js';
import { countFindings, type Finding, type FindingCounts } from '../validation/finding.js';
import { validateDay, type Classification } from '../validation/validate-day.js';
import { audit } from './audit.js';
import { didsReachedOn, lastSentTemplateHash } from './ledger.js';
import { lockHolder } from './lock.js';
import { outboxPaths } from './outbox.js';
import { SendLog } from './send-log.js';
import type { StateDb } from './state-db.js';
import { sendLockName } from './send.js';

/** Used in previews when MAIL_FROM is not set; a run planned with it cannot be sent. */
const PLACEHOLDER_FROM: Mailbox = { name: 'MAIL_FROM not set', address: 'mail-from-not-set@invalid.example' };

export interface PlanSummary {
  runId: string;
  reportDate: string;
  state: 'planned' | 'blocked';
  batchHash: string;
  templateHash: string;
  templateChanged: boolean;
  counts: { participants: number; toSend: number; skipped: number; blocked: number };
  skippedByReason: Record<string, number>;
  blockedByCode: Record<string, number>;
  validation: FindingCounts;
  findings: Finding[];
  redirectTo: string | null;
  mailFromSet: boolean;
  outboxDir: string;
  expiresAt: string;
}

export interface PlanDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  onProgress?: (done: number, total: number) => void;
}

export function newRunId(reportDate: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${reportDate}_${stamp}_${randomBytes(3).toString('hex')}`;
}

const increment = (record: Record<string, number>, key: string): void => {
  record[key] = (record[key] ?? 0) + 1;
};

export function planRun(deps: PlanDeps, reportDate: string, requestedBy: string): PlanSummary {
  const { db, config, logger } = deps;
  const holder = lockHolder(db, sendLockName(reportDate));
  if (holder !== undefined) {
    throw new JobRefusedError(`A send for ${reportDate} is in progress (pid ${holder.pid} on ${holder.host}); a new dry run would replace what is being sent. Wait for it to finish.`, 'send_in_progress');
  }
  const validation = validateDay(config, reportDate);
  const startedAt = deps.now();
  const runId = newRunId(reportDate, startedAt);
  const log = logger.child({ component: 'plan', run_id: runId, report_date: reportDate });
  const from = config.MAIL_FROM === undefined ? PLACEHOLDER_FROM : (parseMailbox(config.MAIL_FROM) ?? PLACEHOLDER_FROM);
  const replyTo = config.MAIL_REPLY_TO === undefined ? undefined : parseMailbox(config.MAIL_REPLY_TO);
  const paths = outboxPaths(config.OUTBOX_DIR, reportDate);
  const expiresAt = new Date(startedAt.getTime() + config.APPROVAL_TTL_HOURS * 3_600_000).toISOString();

  db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, mail_from, redirect_to, expires_at, summary_json)
     VALUES (?, ?, ?, ?, 'planning', '', ?, ?, ?, ?, '{}')`,
  ).run(runId, reportDate, startedAt.toISOString(), requestedBy, validation.templates.hash, config.MAIL_FROM ?? null, config.MAIL_REDIRECT_TO ?? null, expiresAt);

  // Previews are written to a fresh folder and swapped in at the end: a reader never sees a mix
  // of two runs, and the old files are not overwritten one by one (slow on large folders).
  const stagingDir = `${paths.dryRunDir}.planning-${runId}`;
  ensurePrivateDir(stagingDir);
  const sendLog = new SendLog(config.OUTBOX_DIR, 1000);
  const insert = db.prepare(
    `INSERT INTO messages (run_id, report_date, did, state, reason, to_masked, sha256, message_id, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const reached = didsReachedOn(db, reportDate);
  const hashes: string[] = [];
  const skippedByReason: Record<string, number> = {};
  const blockedByCode: Record<string, number> = {};
  const reportDateLong = longDate(reportDate);
  const ts = startedAt.toISOString();
  const messageDomain = from.address.split('@')[1] ?? 'mail-updater.invalid';
  let pendingRows: unknown[][] = [];
  const flushRows = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(...row);
  });
  const total = validation.participants.length;
  let done = 0;
  let skippedCount = 0;
  let blockedCount = 0;

  for (const entry of dedupeByDid(validation.participants)) {
    const did = entry.row.did;
    const toMasked = entry.row.email === '' ? null : maskEmail(entry.row.email);
    const logBase = { ts, run_id: runId, report_date: reportDate, did, dry_run: true, attempt: 0, to_masked: toMasked, template_hash: validation.templates.hash };
    let decision: Classification | { kind: 'skipped'; row: typeof entry.row; reason: string } = entry;
    if (entry.kind === 'eligible' && reached.has(did)) {
      decision = { kind: 'skipped', row: entry.row, reason: reached.get(did) === 'sent' ? 'already_sent' : 'outcome_unknown_in_earlier_run' };
    }
    if (validation.runBlocked && decision.kind === 'eligible') decision = { kind: 'blocked', row: entry.row, codes: ['run_blocked'] };

    if (decision.kind === 'eligible') {
      const messageId = `${runId}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${messageDomain}`;
      const rendered = renderTemplates(validation.templates, {
        ...rosterFields(validation.roster.columns, entry.row),
        ...decision.data,
        did,
        report_date: reportDate,
        report_date_long: reportDateLong,
      });
      const redirected = config.MAIL_REDIRECT_TO !== undefined;
      const bytes = composeMessage({
        from,
        to: redirected ? { address: config.MAIL_REDIRECT_TO! } : { name: `${entry.row.firstName} ${entry.row.lastName}`.trim(), address: entry.row.email },
        replyTo,
        subject: redirected ? `[TEST ${did}] ${rendered.subject}` : rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId,
        date: startedAt,
        boundary: `mu_${createHash('sha256').update(messageId).digest('hex').slice(0, 28)}`,
        extraHeaders: { 'X-Mail-Updater-Run': runId },
      });
      const sha = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(stagingDir, `${did}.eml`), bytes, { mode: 0o600 });
      hashes.push(`${did}\t${sha}`);
      pendingRows.push([runId, reportDate, did, 'planned', null, toMasked, sha, messageId, ts]);
      sendLog.append({ ...logBase, status: 'dry_run', message_id: messageId });
    } else if (decision.kind === 'skipped') {
      skippedCount++;
      increment(skippedByReason, decision.reason);
      pendingRows.push([runId, reportDate, did, 'skipped', decision.reason, toMasked, null, null, ts]);
      sendLog.append({ ...logBase, status: 'skipped', message_id: null, error: `skipped: ${decision.reason}` });
    } else {
      blockedCount++;
      const codes = [...new Set(decision.codes)];
      for (const code of codes) increment(blockedByCode, code);
      pendingRows.push([runId, reportDate, did, 'blocked', codes.join(','), toMasked, null, null, ts]);
      sendLog.append({ ...logBase, status: 'skipped', message_id: null, error: `blocked: ${codes.join(',')}` });
    }
    if (pendingRows.length >= 1000) {
      flushRows(pendingRows);
      pendingRows = [];
    }
    done++;
    if (done % 5000 === 0) deps.onProgress?.(done, total);
  }
  flushRows(pendingRows);
  sendLog.close();
  swapInPreviews(stagingDir, paths.dryRunDir);
  deps.onProgress?.(total, total);

  hashes.sort();
  const batchHash = createHash('sha256').update(hashes.join('\n')).digest('hex');
  const counts = { participants: done, toSend: hashes.length, skipped: skippedCount, blocked: blockedCount };
  const previousTemplate = lastSentTemplateHash(db);
  const summary: PlanSummary = {
    runId,
    reportDate,
    state: validation.runBlocked ? 'blocked' : 'planned',
    batchHash,
    templateHash: validation.templates.hash,
    templateChanged: previousTemplate !== undefined && previousTemplate !== validation.templates.hash,
    counts,
    skippedByReason,
    blockedByCode,
    validation: countFindings(validation.findings),
    findings: validation.findings,
    redirectTo: config.MAIL_REDIRECT_TO ?? null,
    mailFromSet: config.MAIL_FROM !== undefined,
    outboxDir: paths.dryRunDir,
    expiresAt,
  };

  db.transaction(() => {
    const superseded = db
      .prepare("SELECT id FROM runs WHERE report_date = ? AND id != ? AND state IN ('planned', 'blocked', 'paused')")
      .all(reportDate, runId) as { id: string }[];
    for (const { id } of superseded) {
      db.prepare("UPDATE runs SET state = 'superseded', superseded_by = ? WHERE id = ?").run(runId, id);
      audit(db, { actor: requestedBy, action: 'run_superseded', runId: id, reportDate, detail: { superseded_by: runId } }, startedAt);
    }
    db.prepare('UPDATE runs SET state = ?, batch_hash = ?, summary_json = ? WHERE id = ?').run(summary.state, batchHash, JSON.stringify({ ...summary, findings: undefined }), runId);
    audit(db, { actor: requestedBy, action: 'run_planned', runId, reportDate, batchHash, detail: { counts, state: summary.state } }, startedAt);
  }).immediate();
  log.info({ counts, batch_hash: batchHash, state: summary.state }, 'dry run planned');
  return summary;
}

/** A duplicated DID is blocked on every row; the ledger keeps one row for it. */
function* dedupeByDid(entries: readonly Classification[]): Generator<Classification> {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.row.did === '' || seen.has(entry.row.did)) continue;
    seen.add(entry.row.did);
    yield entry;
  }
}

function swapInPreviews(stagingDir: string, dryRunDir: string): void {
  const retired = `${stagingDir}.retired`;
  if (existsSync(dryRunDir)) renameSync(dryRunDir, retired);
  renameSync(stagingDir, dryRunDir);
  rmSync(retired, { recursive: true, force: true });
}
