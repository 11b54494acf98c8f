/** RETENTION_DAYS at the start of send-daily: prune, then say how much (counts, never names). */
import type { CommandContext } from '../src/command.js';
import { pruneExpired, pruneText } from '../src/outbox/retention.js';

export function pruneForRetention(ctx: CommandContext, reportDate: string): void {
  const days = ctx.config.RETENTION_DAYS;
  if (days === undefined) return;
  let counts: ReturnType<typeof pruneExpired>;
  try {
    counts = pruneExpired(ctx.config, ctx.stateDb(), ctx.now(), [reportDate]);
  } catch (error) {
    // Old files left behind never stop the day's e-mails; the next run tries again.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    ctx.logger.warn({ retention_days: days, code }, 'retention: pruning failed');
    ctx.progress?.(
      `RETENTION_DAYS=${days}: could not remove old files (${code}); check permissions on OUTBOX_DIR and the roster's folder.`,
    );
    return;
  }
  if (counts === undefined) return;
  ctx.logger.info({ retention_days: days, pruned: counts }, 'retention');
  if (counts.rosterBackups + counts.previewDays + counts.sentDays > 0) ctx.progress?.(pruneText(counts, days));
}
