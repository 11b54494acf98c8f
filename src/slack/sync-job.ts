/**
 * The scheduled Qualtrics sync (SCHEDULE_SYNC_CRON): its result goes to the channel; a failure
 * is an alert (once a day, like every alert) that says what failed and that the roster is intact.
 */
import { syncJson, syncParticipantsCommand } from '../../commands/sync-participants.js';
import { postAlerts } from './alerts.js';
import { escapeMrkdwn, section } from './blocks.js';
import type { StudyBot } from './study-bot.js';

export async function runSyncJob(bot: StudyBot): Promise<'posted' | 'alerted'> {
  try {
    const output = await syncParticipantsCommand.run(bot.context('schedule'), { dryRun: false });
    const s = syncJson(output);
    const problems = s.conflicts.length + s.rejected.length;
    const text = `${problems > 0 ? ':warning:' : ':inbox_tray:'} *Qualtrics sync*: ${s.new.length} new participant(s)${s.new.length > 0 ? ` (${s.new.slice(0, 30).join(', ')}${s.new.length > 30 ? ', …' : ''})` : ''}, ${s.unchanged} unchanged, ${s.conflicts.length} conflict(s), ${s.rejected.length} rejected.${problems > 0 ? ' Run `/mail-sync --dry-run` for the DIDs and reasons; conflicts are never overwritten, fix them in the roster by hand.' : ''}`;
    await bot.poster.post(bot.channel, { text, blocks: [section(text)] });
    return 'posted';
  } catch (error) {
    const text = `:rotating_light: *Qualtrics sync failed*: ${escapeMrkdwn((error as Error).message)}`;
    await postAlerts(bot, [{ key: 'sync_failed', text }]);
    return 'alerted';
  }
}
