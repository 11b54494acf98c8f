/**
 * The dry run: validate, then render every eligible participant's message to the exact bytes
 * that will be sent, write them as .eml files, record them in the ledger with their hashes and
 * hash the whole batch. Compliance rows are streamed and rendered in batches (in a worker
 * thread, see render-pool.ts): memory stays flat however large the roster is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { iterateDay, openComplianceDb } from '../compliance/db.js';
import type { Config } from '../config.js';
import { JobRefusedError } from '../errors.js';
import { countFindings, type Finding, type FindingCounts } from '../finding.js';
import type { Logger } from '../logger.js';
import { type Mailbox, parseMailbox } from '../mail/address.js';
import { renderSample, type SamplePreview } from '../mail/sample.js';
import { outboxPaths } from '../outbox/paths.js';
import type { RosterRow } from '../roster/read.js';
import { rosterFields } from '../roster/read.js';
import { sendLockName } from '../sending/send.js';
import { audit } from '../storage/audit.js';
import { didsReachedOn, lastSentTemplateHash } from '../storage/ledger.js';
import { lockHolder } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';
import { ensurePrivateDir } from '../util/fs.js';
import { type Classification, type DayValidation, validateDay } from '../validation/validate-day.js';
import { PlanWriter } from './plan-writer.js';
import type { RenderJob } from './render-message.js';
import { createRenderer, type Renderer } from './render-pool.js';

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
  /** The templates rendered for a synthetic participant: what Slack's request shows. */
  sample: SamplePreview;
}

/** What runs.summary_json keeps: the summary with the first findings only (a roster can have thousands). */
export type StoredSummary = Omit<PlanSummary, 'findings'> & { findings: Finding[]; findingsTotal: number };
export const STORED_FINDINGS = 20;

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

export async function planRun(deps: PlanDeps, reportDate: string, requestedBy: string): Promise<PlanSummary> {
  const { db, config, logger } = deps;
  const holder = lockHolder(db, sendLockName(reportDate));
  if (holder !== undefined) {
    throw new JobRefusedError(
      `A send for ${reportDate} is in progress (pid ${holder.pid} on ${holder.host}); a new dry run would replace what is being sent. Wait for it to finish.`,
      'send_in_progress',
    );
  }
  const validation = validateDay(config, reportDate);
  const startedAt = deps.now();
  const runId = newRunId(reportDate, startedAt);
  const log = logger.child({ component: 'plan', run_id: runId, report_date: reportDate });
  // loadConfig has already checked that a set MAIL_FROM parses.
  const from = (config.MAIL_FROM === undefined ? undefined : parseMailbox(config.MAIL_FROM)) ?? PLACEHOLDER_FROM;
  const replyTo = config.MAIL_REPLY_TO === undefined ? undefined : parseMailbox(config.MAIL_REPLY_TO);
  const paths = outboxPaths(config.OUTBOX_DIR, reportDate);
  const expiresAt = new Date(startedAt.getTime() + config.APPROVAL_TTL_HOURS * 3_600_000).toISOString();

  db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, mail_from, redirect_to, expires_at, summary_json)
     VALUES (?, ?, ?, ?, 'planning', '', ?, ?, ?, ?, '{}')`,
  ).run(
    runId,
    reportDate,
    startedAt.toISOString(),
    requestedBy,
    validation.templates.hash,
    config.MAIL_FROM ?? null,
    config.MAIL_REDIRECT_TO ?? null,
    expiresAt,
  );

  // Previews are written to a fresh folder and swapped in at the end: a reader never sees a mix
  // of two runs, and the old files are not overwritten one by one (slow on large folders).
  const stagingDir = `${paths.dryRunDir}.planning-${runId}`;
  ensurePrivateDir(stagingDir);
  const writer = new PlanWriter(db, config.OUTBOX_DIR, {
    id: runId,
    reportDate,
    templateHash: validation.templates.hash,
    ts: startedAt.toISOString(),
  });
  const renderer = createRenderer({
    runId,
    dateIso: startedAt.toISOString(),
    reportDate,
    from,
    replyTo,
    redirectTo: config.MAIL_REDIRECT_TO,
    templates: validation.templates,
    outDir: stagingDir,
  });

  try {
    await recordParticipants({
      db,
      config,
      validation,
      writer,
      renderer,
      ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    });
  } catch (error) {
    writer.abort();
    rmSync(stagingDir, { recursive: true, force: true });
    throw error;
  } finally {
    await renderer.close();
  }
  const batchHash = writer.finish();
  swapInPreviews(stagingDir, paths.dryRunDir, log);

  const counts = {
    participants: writer.participants,
    toSend: writer.toSend,
    skipped: writer.skipped,
    blocked: writer.blocked,
  };
  const { skippedByReason, blockedByCode } = writer;
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
    sample: renderSample(validation.templates, reportDate),
  };
  const stored: StoredSummary = {
    ...summary,
    findings: summary.findings.slice(0, STORED_FINDINGS),
    findingsTotal: summary.findings.length,
  };

  db.transaction(() => {
    const superseded = db
      .prepare("SELECT id FROM runs WHERE report_date = ? AND id != ? AND state IN ('planned', 'blocked', 'paused')")
      .all(reportDate, runId) as { id: string }[];
    for (const { id } of superseded) {
      db.prepare("UPDATE runs SET state = 'superseded', superseded_by = ? WHERE id = ?").run(runId, id);
      audit(
        db,
        { actor: requestedBy, action: 'run_superseded', runId: id, reportDate, detail: { superseded_by: runId } },
        startedAt,
      );
    }
    db.prepare('UPDATE runs SET state = ?, batch_hash = ?, summary_json = ? WHERE id = ?').run(
      summary.state,
      batchHash,
      JSON.stringify(stored),
      runId,
    );
    audit(
      db,
      {
        actor: requestedBy,
        action: 'run_planned',
        runId,
        reportDate,
        batchHash,
        detail: { counts, state: summary.state },
      },
      startedAt,
    );
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

interface RecordInput {
  db: StateDb;
  config: Config;
  validation: DayValidation;
  writer: PlanWriter;
  renderer: Renderer;
  onProgress?: (done: number, total: number) => void;
}

const RENDER_BATCH = 200;

/** Every participant becomes one ledger row: skipped, blocked, or a rendered message. */
async function recordParticipants({
  db,
  config,
  validation,
  writer,
  renderer,
  onProgress,
}: RecordInput): Promise<void> {
  // First the participants who get no message; the eligible ones wait for their data.
  const reached = didsReachedOn(db, validation.reportDate);
  const eligible = new Map<string, RosterRow>();
  for (const entry of dedupeByDid(validation.participants)) {
    const { row } = entry;
    if (entry.kind === 'blocked') writer.block(row, entry.codes);
    else if (entry.kind === 'skipped') writer.skip(row, entry.reason);
    else if (reached.has(row.did))
      writer.skip(row, reached.get(row.did) === 'sent' ? 'already_sent' : 'outcome_unknown_in_earlier_run');
    else if (validation.runBlocked) writer.block(row, ['run_blocked']);
    else eligible.set(row.did, row);
  }

  // Then the messages, streaming the compliance rows in batches; while one batch is rendered,
  // the next is read and the previous one recorded. Nothing waits with a transaction open.
  const total = eligible.size;
  let inFlight: Promise<void> | undefined;
  const submit = async (jobs: RenderJob[]): Promise<void> => {
    const rows = new Map(jobs.map((job) => [job.did, eligible.get(job.did)!]));
    for (const result of await renderer.render(jobs))
      writer.planned(rows.get(result.did)!, result.sha256, result.messageId);
    writer.commit();
    onProgress?.(writer.toSend, total);
  };
  if (total > 0) {
    writer.commit();
    const compliance = openComplianceDb(config.COMPLIANCE_DB_PATH);
    try {
      let jobs: RenderJob[] = [];
      const seen = new Set<string>();
      for (const data of iterateDay(compliance, validation.query.sql, validation.query.source, validation.reportDate)) {
        const did = String(data.did);
        const row = eligible.get(did);
        if (row === undefined || seen.has(did)) continue;
        seen.add(did);
        jobs.push({
          did,
          firstName: row.firstName,
          lastName: row.lastName,
          email: row.email,
          fields: rosterFields(validation.roster.columns, row),
          data,
        });
        if (jobs.length < RENDER_BATCH) continue;
        await inFlight;
        inFlight = submit(jobs);
        jobs = [];
      }
      await inFlight;
      if (jobs.length > 0) await submit(jobs);
      for (const did of seen) eligible.delete(did);
    } finally {
      compliance.close();
    }
  }
  // Rows that vanished from the compliance DB between validation and now.
  for (const row of eligible.values()) writer.skip(row, 'no_data_for_day');
}

/**
 * Swaps the new previews in (two renames) and removes the superseded ones in the background:
 * unlinking 100,000 files takes seconds and must not hold up the summary. Leftovers from a
 * process that exited before the removal finished are removed by the next dry run.
 */
function swapInPreviews(stagingDir: string, dryRunDir: string, logger: Logger): void {
  const trash = join(dirname(dryRunDir), '.superseded');
  ensurePrivateDir(trash);
  if (existsSync(dryRunDir)) renameSync(dryRunDir, join(trash, basename(stagingDir)));
  renameSync(stagingDir, dryRunDir);
  rm(trash, { recursive: true, force: true }).catch((error: unknown) =>
    logger.warn({ error: (error as Error).message }, 'could not remove superseded previews'),
  );
}
