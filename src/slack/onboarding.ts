/**
 * The onboarding reminder, from the health check: participants enrolled ONBOARDING_GRACE_DAYS
 * ago or more with no device data yet, by DID (never name or address), each listed once ever.
 */
import { audit } from '../storage/audit.js';
import { markReminded } from '../storage/participants-seen.js';
import { type OnboardingOverdue, overdueOnboarding } from '../validation/onboarding.js';
import { section } from './blocks.js';
import type { StudyBot } from './study-bot.js';

const MAX_LISTED = 50;

export function onboardingText(overdue: readonly OnboardingOverdue[]): string {
  const lines = overdue
    .slice(0, MAX_LISTED)
    .map((o) => `• ${o.did}: enrolled ${o.days} days ago, no device data yet: check onboarding`);
  if (overdue.length > MAX_LISTED)
    lines.push(`• … and ${overdue.length - MAX_LISTED} more (\`npx mail-updater status --json\`)`);
  return `:seedling: *Onboarding*: ${overdue.length} participant(s) with no device data yet.\n${lines.join('\n')}`;
}

/** Posts the reminder for those not reminded yet; returns how many were listed. */
export async function postOnboardingReminders(bot: StudyBot): Promise<number> {
  const overdue = overdueOnboarding(bot.db, bot.config, bot.now());
  if (overdue.length === 0) return 0;
  const text = onboardingText(overdue);
  await bot.poster.post(bot.channel, { text, blocks: [section(text.slice(0, 3000))] });
  // Only once posted: a failed post is tried again at the next health check.
  markReminded(
    bot.db,
    overdue.map((o) => o.did),
    bot.now(),
  );
  audit(
    bot.db,
    { actor: 'schedule', action: 'onboarding_reminder_posted', detail: { count: overdue.length } },
    bot.now(),
  );
  return overdue.length;
}
