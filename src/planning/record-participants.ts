/**
 * The dry run's middle: every roster row of the day becomes one ledger row (skipped, blocked or
 * a rendered message), rendered in batches on the worker pool with the ledger committed between.
 */
import { completionCode } from '../compliance/completion.js';
import { iterateDay, openComplianceDb } from '../compliance/db.js';
import type { Config } from '../config.js';
import { type Finding, participantFinding } from '../finding.js';
import { type RosterRow, rosterFields } from '../roster/read.js';
import { type MessageTokens, recordTokens } from '../storage/bounces.js';
import { didsReachedOn } from '../storage/messages.js';
import type { StateDb } from '../storage/state-db.js';
import { collectGarbage } from '../util/heap.js';
import { dataBlockedFinding } from '../validation/data-findings.js';
import type { Classification, DayValidation } from '../validation/validate-day.js';
import { EligibleRows } from './eligible-rows.js';
import type { PlanWriter } from './plan-writer.js';
import type { RenderJob } from './render-message.js';
import type { Renderer } from './render-pool.js';

/** A duplicated DID is blocked on every row; the ledger keeps one row for it (its first). */
function* dedupeByDid(validation: DayValidation): Generator<Classification> {
  for (const entry of validation.participants) {
    if (entry.row.did === '' || !validation.participants.isFirstOfDid(entry.index)) continue;
    yield entry;
  }
}

export interface RecordInput {
  db: StateDb;
  config: Config;
  validation: DayValidation;
  writer: PlanWriter;
  renderer: Renderer;
  onProgress?: (done: number, total: number) => void;
}

const RENDER_BATCH = 200;
const GC_EVERY_BATCHES = 20;

function renderFailed(row: RosterRow, reason: string): Finding {
  return participantFinding(
    row,
    'error',
    'render_failed',
    `The message for ${row.did} could not be rendered (${reason}); this participant is not e-mailed, the others are.`,
    "Look for an unusually long or malformed value in this participant's roster row or compliance data (or a template problem), correct it, and run the dry run again.",
  );
}

/**
 * Every participant becomes one ledger row: skipped, blocked, or a rendered message. Returns the
 * findings for messages that could not be rendered (those participants are blocked).
 */
export async function recordParticipants({
  db,
  config,
  validation,
  writer,
  renderer,
  onProgress,
}: RecordInput): Promise<Finding[]> {
  const failures: Finding[] = [];
  // First the participants who get no message; the eligible ones wait for their data.
  const reached = didsReachedOn(db, validation.reportDate);
  const { rows } = validation.roster;
  const eligible = new EligibleRows(rows, validation.participants.counts().eligible);
  for (const entry of dedupeByDid(validation)) {
    const { row } = entry;
    if (entry.kind === 'blocked') writer.block(row, entry.codes);
    else if (entry.kind === 'skipped') writer.skip(row, entry.reason);
    else if (reached.has(row.did))
      writer.skip(row, reached.get(row.did) === 'sent' ? 'already_sent' : 'outcome_unknown_in_earlier_run');
    else if (validation.runBlocked) writer.block(row, ['run_blocked']);
    else eligible.add(row.did, entry.index);
  }

  // Then the messages, streaming the compliance rows in batches; while one batch is rendered,
  // the next is read and the previous one recorded. Nothing waits with a transaction open.
  const total = eligible.size;
  let inFlight: Promise<void> | undefined;
  let batches = 0;
  const submit = async (batch: { jobs: RenderJob[]; rows: Map<string, RosterRow> }): Promise<void> => {
    const { jobs, rows } = batch;
    const completions = new Map(jobs.map((job) => [job.did, completionCode(job.data)]));
    const tokens: MessageTokens[] = [];
    for (const result of await renderer.render(jobs)) {
      const row = rows.get(result.did)!;
      if ('error' in result) {
        writer.block(row, ['render_failed'], completions.get(result.did));
        failures.push(renderFailed(row, result.error));
      } else if ('blocked' in result) {
        writer.block(row, [result.blocked], completions.get(result.did));
        failures.push(dataBlockedFinding(row, result.blocked, result.field, result.detail));
      } else {
        writer.planned(row, result.sha256, result.messageId, completions.get(result.did));
        if (result.returnPathToken !== undefined || result.unsubscribeToken !== undefined)
          tokens.push({
            did: result.did,
            returnPathToken: result.returnPathToken,
            unsubscribeToken: result.unsubscribeToken,
          });
      }
    }
    writer.commit();
    recordTokens(db, writer.runId, tokens);
    onProgress?.(writer.toSend, total);
    // Each batch leaves its jobs and their clones behind: collected every few thousand messages,
    // memory stays flat however large the study (util/heap.ts).
    if (++batches % GC_EVERY_BATCHES === 0) collectGarbage();
  };
  writer.commit();
  if (total > 0) {
    const compliance = openComplianceDb(config.COMPLIANCE_DB_PATH);
    try {
      let batch = { jobs: [] as RenderJob[], rows: new Map<string, RosterRow>() };
      for (const data of iterateDay(compliance, validation.query.sql, validation.query.source, validation.reportDate)) {
        const did = String(data.did);
        const found = eligible.take(did); // a DID's first row of data only
        if (found === undefined) continue;
        const { row } = found;
        batch.rows.set(did, row);
        batch.jobs.push({
          did,
          firstName: row.firstName,
          lastName: row.lastName,
          email: row.email,
          fields: rosterFields(validation.roster.columns, row),
          data,
        });
        if (batch.jobs.length < RENDER_BATCH) continue;
        await inFlight;
        inFlight = submit(batch);
        batch = { jobs: [], rows: new Map() };
      }
      await inFlight;
      if (batch.jobs.length > 0) await submit(batch);
    } finally {
      compliance.close();
    }
  }
  // Rows that vanished from the compliance DB between validation and now.
  for (const index of eligible.remaining()) writer.skip(rows.at(index)!, 'no_data_for_day');
  // The caller awaits next (the render pool's shutdown): no transaction may stay open across it,
  // or a concurrent sender's claim would wait on it, and a crash would roll the rows back.
  writer.commit();
  return failures;
}
