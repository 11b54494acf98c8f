/**
 * The dry run: validate, then render every eligible participant's message to the exact bytes
 * that will be sent, write them as .eml files, record them in the ledger with their hashes and
 * hash the whole batch. Compliance rows are streamed and rendered in batches (in a worker
 * thread, see render-pool.ts): memory stays flat however large the roster is.
 */

import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { JobRefusedError } from '../errors.js';
import { countFindings, type Finding, type FindingCounts, withoutValue } from '../finding.js';
import type { Logger } from '../logger.js';
import { type Mailbox, parseMailbox } from '../mail/address.js';
import { renderSample, type SamplePreview } from '../mail/sample.js';
import { outboxPaths } from '../outbox/paths.js';
import { audit } from '../storage/audit.js';
import { acquireLock, type HeldLock, lockHolder, sendLockName } from '../storage/locks.js';
import type { ActiveDids } from '../storage/participants-seen.js';
import {
  approvedRunInFlight,
  completePlanning,
  insertPlanningRun,
  lastSentTemplateHash,
  markSuperseded,
  supersedableRuns,
} from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { suppressionIndex } from '../storage/suppressions.js';
import { ensurePrivateDir } from '../util/fs.js';
import { collectGarbage } from '../util/heap.js';
import { seenRecorder } from '../validation/onboarding.js';
import { type DayValidation, validateDay } from '../validation/validate-day.js';
import { PlanWriter } from './plan-writer.js';
import { recordParticipants } from './record-participants.js';
import { createRenderer } from './render-pool.js';
import { bounceSettings } from './return-path.js';
import { beginStaging } from './staging.js';
import { swapInPreviews } from './swap-previews.js';

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
  const { db, config } = deps;
  refuseWhileSending(db, reportDate);
  const recordSeen = seenRecorder(db, config, deps.now());
  let active: ActiveDids | undefined;
  const validation = await validateDay(config, reportDate, {
    suppressed: suppressionIndex(db),
    onActive: (dids) => {
      active = dids;
    },
    rowsFromFile: true,
  });
  try {
    // Validation awaited the compliance database's answer: an approval may have come in meanwhile.
    // From here to the new run's row nothing awaits, so this check holds when the run is made;
    // a dry run it refuses records nobody as seen, as one refused at the start.
    refuseWhileSending(db, reportDate);
    if (active !== undefined) recordSeen(active);
    active = undefined; // it holds the roster's DID table
    return await planValidated(deps, validation, requestedBy);
  } finally {
    validation.roster.rows.close(); // the roster file, which the rows were read from
  }
}

async function planValidated(deps: PlanDeps, validation: DayValidation, requestedBy: string): Promise<PlanSummary> {
  const { db, config, logger } = deps;
  const { reportDate } = validation;
  collectGarbage(); // the roster's parsing
  const startedAt = deps.now();
  const runId = newRunId(reportDate, startedAt);
  const log = logger.child({ component: 'plan', run_id: runId, report_date: reportDate });
  // loadConfig has already checked that a set MAIL_FROM parses.
  const from = (config.MAIL_FROM === undefined ? undefined : parseMailbox(config.MAIL_FROM)) ?? PLACEHOLDER_FROM;
  const replyTo = config.MAIL_REPLY_TO === undefined ? undefined : parseMailbox(config.MAIL_REPLY_TO);
  const paths = outboxPaths(config.OUTBOX_DIR, reportDate);
  const study = { studyTz: config.STUDY_TZ, studyName: config.STUDY_NAME, studyContact: config.STUDY_CONTACT };
  const expiresAt = new Date(startedAt.getTime() + config.APPROVAL_TTL_HOURS * 3_600_000).toISOString();

  insertPlanningRun(db, {
    id: runId,
    reportDate,
    createdAt: startedAt.toISOString(),
    requestedBy,
    templateHash: validation.templates.hash,
    mailFrom: config.MAIL_FROM ?? null,
    redirectTo: config.MAIL_REDIRECT_TO ?? null,
    expiresAt,
  });

  // Previews are written to a fresh folder and swapped in at the end: a reader never sees a mix
  // of two runs, and the old files are not overwritten one by one (slow on large folders). The
  // folder is removed on every way out (and a killed run's by the next dry run: staging.ts).
  const staging = beginStaging(db, paths.dryRunDir, runId, deps.now, log);
  let writer: PlanWriter;
  let renderFailures: Finding[];
  let batchHash: string;
  let lock: HeldLock | undefined;
  try {
    ensurePrivateDir(staging.dir);
    const renderer = createRenderer({
      runId,
      dateIso: startedAt.toISOString(),
      reportDate,
      study,
      from,
      replyTo,
      redirectTo: config.MAIL_REDIRECT_TO,
      ...bounceSettings(config),
      templates: validation.templates,
      outDir: staging.dir,
    });
    try {
      writer = new PlanWriter(db, config.OUTBOX_DIR, {
        id: runId,
        reportDate,
        templateHash: validation.templates.hash,
        ts: startedAt.toISOString(),
      });
      try {
        renderFailures = await recordParticipants({
          db,
          config,
          validation,
          writer,
          renderer,
          ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
        });
      } catch (error) {
        writer.abort();
        throw error;
      }
    } finally {
      await renderer.close();
    }
    batchHash = writer.finish();
    // The swap and the supersede below happen under the sender's per-day lock: a send that
    // started while this dry run rendered keeps its previews and its run.
    lock = acquireLock(db, sendLockName(reportDate), deps.now);
    refuseWhileApproved(db, reportDate);
    swapInPreviews(staging.dir, paths.dryRunDir, log);
  } catch (error) {
    lock?.release();
    throw error;
  } finally {
    staging.done();
  }
  const held = lock!;
  try {
    const counts = {
      participants: writer.participants,
      toSend: writer.toSend,
      skipped: writer.skipped,
      blocked: writer.blocked,
    };
    const { skippedByReason, blockedByCode } = writer;
    const findings = [...validation.findings, ...renderFailures];
    if (renderFailures.length > 0)
      log.warn(
        { dids: renderFailures.slice(0, 20).map((f) => f.did), count: renderFailures.length },
        'some messages could not be rendered; those participants are blocked',
      );
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
      findings,
      redirectTo: config.MAIL_REDIRECT_TO ?? null,
      mailFromSet: config.MAIL_FROM !== undefined,
      outboxDir: paths.dryRunDir,
      expiresAt,
      sample: renderSample(validation.templates, reportDate, study),
    };
    const stored: StoredSummary = {
      ...summary,
      findings: summary.findings.slice(0, STORED_FINDINGS).map(withoutValue),
      findingsTotal: summary.findings.length,
    };

    db.transaction(() => {
      for (const id of supersedableRuns(db, reportDate, runId)) {
        markSuperseded(db, id, runId);
        audit(
          db,
          { actor: requestedBy, action: 'run_superseded', runId: id, reportDate, detail: { superseded_by: runId } },
          startedAt,
        );
      }
      completePlanning(db, runId, summary.state, batchHash, JSON.stringify(stored));
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
  } finally {
    held.release();
  }
}

/** A dry run must not replace the previews of a run that is approved and sending (or about to). */
function refuseWhileSending(db: StateDb, reportDate: string): void {
  const holder = lockHolder(db, sendLockName(reportDate));
  if (holder !== undefined)
    throw new JobRefusedError(
      `A send for ${reportDate} is in progress (pid ${holder.pid} on ${holder.host}); a new dry run would replace what is being sent. Wait for it to finish (\`status\`), then preview again if you still need to.`,
      'send_in_progress',
    );
  refuseWhileApproved(db, reportDate);
}

function refuseWhileApproved(db: StateDb, reportDate: string): void {
  const approved = approvedRunInFlight(db, reportDate);
  if (approved !== undefined)
    throw new JobRefusedError(
      `Run ${approved.id} for ${reportDate} is approved and ${approved.state === 'sending' ? 'sending' : 'about to send'}; a new dry run would replace what was approved. Wait for it to finish (\`status\`), then preview again if you still need to.`,
      'send_in_progress',
    );
}
