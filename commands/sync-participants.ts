import { type CommandContext, defineCommand } from '../src/command.js';
import { ExitCode, JobRefusedError, UsageError } from '../src/errors.js';
import { type SyncSummary, syncParticipants } from '../src/qualtrics/sync.js';
import { audit } from '../src/storage/audit.js';
import { recordHealth } from '../src/storage/health.js';
import { jsonFlag, noPositionals } from './options.js';

interface SyncOptions {
  dryRun: boolean;
}

export function syncText(s: SyncSummary): string {
  const lines = [
    `${s.dryRun ? 'Qualtrics sync (dry run: nothing written)' : 'Qualtrics sync'}: ${s.responses} response(s) exported; ignored ${s.ignored.notNormal} preview/test/spam, ${s.ignored.unfinished} unfinished, ${s.ignored.supersededDuplicates} older duplicate(s).`,
    `New: ${s.added.length}${s.added.length > 0 ? ` (${s.added.join(', ')})` : ''}${s.dryRun && s.added.length > 0 ? ' — would be appended' : ''}`,
    `Unchanged: ${s.unchanged}`,
    `Conflicts: ${s.conflicts.length}`,
    ...s.conflicts.map((c) => `  ${c.did}: ${c.message}`),
    `Rejected: ${s.rejected.length}`,
    ...s.rejected.map((r) => `  ${r.did} (response ${r.responseId}): ${r.reasons.join(' ')}`),
  ];
  if (s.written) lines.push(`Roster updated; the previous version is kept as ${s.backupPath}.`);
  else if (!s.dryRun) lines.push('Roster unchanged (nothing new to add).');
  return lines.join('\n');
}

export interface SyncJson {
  dry_run: boolean;
  responses: number;
  ignored: { not_normal: number; unfinished: number; older_duplicates: number };
  new: string[];
  unchanged: number;
  conflicts: SyncSummary['conflicts'];
  rejected: { did: string; response_id: string; reasons: string[] }[];
  written: boolean;
  backup: string | null;
}

export function syncJson(s: SyncSummary): SyncJson {
  return {
    dry_run: s.dryRun,
    responses: s.responses,
    ignored: {
      not_normal: s.ignored.notNormal,
      unfinished: s.ignored.unfinished,
      older_duplicates: s.ignored.supersededDuplicates,
    },
    new: s.added,
    unchanged: s.unchanged,
    conflicts: s.conflicts,
    rejected: s.rejected.map((r) => ({ did: r.did, response_id: r.responseId, reasons: r.reasons })),
    written: s.written,
    backup: s.backupPath,
  };
}

function recordSync(ctx: CommandContext, ok: boolean, detail: Record<string, unknown>): void {
  const db = ctx.stateDb();
  recordHealth(db, 'qualtrics_sync', ok, ctx.now().toISOString(), detail);
  audit(db, { actor: ctx.actor, action: ok ? 'roster_synced' : 'roster_sync_failed', detail }, ctx.now());
}

export const syncParticipantsCommand = defineCommand<SyncOptions, SyncSummary>({
  name: 'sync-participants',
  summary: 'Pull new participants from the Qualtrics enrolment survey into the roster (backup first, atomic write).',
  usage: 'sync-participants [--dry-run] [--json]',
  slash: '/mail-sync',
  flags: {
    'dry-run': { type: 'boolean', description: 'show what would change and write nothing' },
    json: jsonFlag,
  },
  parse(flags, positionals) {
    noPositionals(positionals);
    return { dryRun: flags['dry-run'] === true };
  },
  async run(ctx, options) {
    let summary: SyncSummary;
    try {
      summary = await syncParticipants(
        {
          db: ctx.stateDb(),
          config: ctx.config,
          logger: ctx.logger,
          now: ctx.now,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
        options,
      );
    } catch (error) {
      if (!options.dryRun && ctx.config.qualtricsConfigured)
        recordSync(ctx, false, { error: (error as Error).message, dry_run: options.dryRun });
      if (error instanceof UsageError) throw error;
      if (error instanceof JobRefusedError)
        throw new JobRefusedError(`${error.message}\nThe roster was not changed.`, error.code);
      // API, ZIP, export format and disk errors: the job ran and failed; the roster is untouched.
      throw new JobRefusedError(`${(error as Error).message}\nThe roster was not changed.`, 'sync_failed');
    }
    if (!options.dryRun)
      recordSync(ctx, true, {
        new: summary.added.length,
        unchanged: summary.unchanged,
        conflicts: summary.conflicts.length,
        rejected: summary.rejected.length,
        backup: summary.backupPath,
      });
    return summary;
  },
  exitCode: (s) => (s.conflicts.length + s.rejected.length > 0 ? ExitCode.problemsFound : ExitCode.ok),
  text: syncText,
  json: syncJson,
});
