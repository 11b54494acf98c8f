/**
 * The picture in words, for screen readers and for anyone whose Slack does not load images: the
 * same totals the legends print, the busiest day and the day with the lowest completion. Built
 * from counts only, like the picture.
 */
import { COMPLETION_STYLE, OUTCOME_STYLE } from './categories.js';
import { count, percent, shortDate } from './format.js';
import { COMPLETION_CATEGORIES, daysInRange, MESSAGE_OUTCOMES, type ReportData, type ReportTotals } from './model.js';
import { reportSubtitle, reportTitle } from './spec.js';

/** Slack's limit for files.uploadV2 `alt_text`. */
export const ALT_TEXT_LIMIT = 1000;
const LISTED_MISSING_DAYS = 3;

export function reportAltText(data: ReportData, totals: ReportTotals): string {
  const days = [...data.days].sort((a, b) => a.date.localeCompare(b.date));
  const sentences: string[] = [
    `${reportTitle(data)}, ${reportSubtitle(data).replace(' · counts only', '. Counts only')}.`,
  ];

  const outcomes = MESSAGE_OUTCOMES.map((o) => `${OUTCOME_STYLE[o].label} ${count(totals.messages[o])}`);
  sentences.push(`Messages: ${count(totals.messageCount)} in all (${outcomes.join(', ')}).`);

  const withMessages = days.filter((d) => MESSAGE_OUTCOMES.some((o) => d.messages[o] > 0));
  const busiest = maxBy(withMessages, (d) => MESSAGE_OUTCOMES.reduce((n, o) => n + d.messages[o], 0));
  if (busiest) sentences.push(`Busiest day: ${shortDate(busiest.item.date)}, ${count(busiest.value)} messages.`);
  const troubled = maxBy(days, (d) => d.messages.failed + d.messages.bounced + d.messages.unknown);
  if (troubled && troubled.value > 0)
    sentences.push(
      `Most problems: ${shortDate(troubled.item.date)}, ${count(troubled.value)} failed, bounced or of unknown outcome.`,
    );

  const categories = COMPLETION_CATEGORIES.map(
    (c) =>
      `${COMPLETION_STYLE[c].label} ${percent(totals.completion[c], totals.participantDays)} (${count(totals.completion[c])})`,
  );
  sentences.push(`Survey completion over ${count(totals.participantDays)} participant-days: ${categories.join(', ')}.`);

  // "Worst" among those we reached and have data for: unreachable and no-data are not non-compliance.
  const measured = days.filter((d) => d.completion.all + d.completion.some + d.completion.none > 0);
  const worst = maxBy(measured, (d) => -d.completion.all / (d.completion.all + d.completion.some + d.completion.none));
  if (worst) {
    const c = worst.item.completion;
    sentences.push(
      `Lowest completion: ${shortDate(worst.item.date)}, ${percent(c.all, c.all + c.some + c.none)} of participants with data did all their surveys.`,
    );
  }

  const present = new Set(days.map((d) => d.date));
  const missing = daysInRange(data.from, data.to).filter((d) => !present.has(d));
  if (missing.length > 0) {
    const listed = missing.slice(0, LISTED_MISSING_DAYS).map(shortDate).join(', ');
    const more = missing.length > LISTED_MISSING_DAYS ? ` and ${missing.length - LISTED_MISSING_DAYS} more` : '';
    sentences.push(`No figures for ${listed}${more}.`);
  }

  const text = sentences.join(' ');
  // By construction it fits (the study name is cut to 80 characters); the cut is a last guard.
  return text.length <= ALT_TEXT_LIMIT ? text : `${text.slice(0, ALT_TEXT_LIMIT - 1)}…`;
}

/** The first item with the largest value (ties go to the earliest day). */
function maxBy<T>(items: readonly T[], value: (item: T) => number): { item: T; value: number } | undefined {
  let best: { item: T; value: number } | undefined;
  for (const item of items) {
    const v = value(item);
    if (best === undefined || v > best.value) best = { item, value: v };
  }
  return best;
}
