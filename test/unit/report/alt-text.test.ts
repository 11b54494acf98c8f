import { describe, expect, it } from 'vitest';
import { ALT_TEXT_LIMIT, reportAltText } from '../../../src/report/alt-text.js';
import { COMPLETION_STYLE, OUTCOME_STYLE } from '../../../src/report/categories.js';
import {
  COMPLETION_CATEGORIES,
  MESSAGE_OUTCOMES,
  type ReportData,
  type ReportDay,
  totalsOf,
  zeroCompletion,
  zeroMessages,
} from '../../../src/report/model.js';
import { completionLegendLabel, outcomeLegendLabel } from '../../../src/report/spec.js';
import { addDays } from '../../../src/util/dates.js';
import { simulatedStudy } from '../../support/report-data.js';

const altOf = (data: ReportData): string => reportAltText(data, totalsOf(data));

function day(date: string, sent: number, failed: number, all: number, some: number, none: number): ReportDay {
  return {
    date,
    messages: { ...zeroMessages(), sent, failed },
    completion: { ...zeroCompletion(), all, some, none, noData: 2, unreachable: 1 },
  };
}

describe('the alt text', () => {
  it('reads the picture out in plain words', () => {
    const data: ReportData = {
      studyName: 'Sleep and Mood Study',
      from: '2026-11-16',
      to: '2026-11-22',
      days: [
        day('2026-11-16', 120, 0, 80, 30, 10),
        day('2026-11-17', 118, 3, 70, 35, 15),
        day('2026-11-18', 121, 1, 40, 50, 30),
      ],
    };
    expect(altOf(data)).toMatchInlineSnapshot(
      `"Sleep and Mood Study: e-mails and survey completion, Mon 16 Nov – Sun 22 Nov 2026 · 7 days. Counts only, no participant is named. Messages: 363 in all (Sent 359, Bounced 0, Failed 4, Outcome unknown 0, Not sent: blocked 0, Not sent: no data 0, Not sent: opted out 0). Busiest day: Wed 18 Nov, 122 messages. Most problems: Tue 17 Nov, 3 failed, bounced or of unknown outcome. Survey completion over 369 participant-days: All surveys done 51% (190), Some 31% (115), None 15% (55), No data 2% (6), Unreachable <1% (3). Lowest completion: Wed 18 Nov, 33% of participants with data did all their surveys. No figures for Thu 19 Nov, Fri 20 Nov, Sat 21 Nov and 1 more."`,
    );
  });

  it('carries exactly the totals the legends print', () => {
    const data = simulatedStudy({ participants: 1000, days: 14, to: '2026-11-22' });
    const totals = totalsOf(data);
    const alt = altOf(data);
    for (const o of MESSAGE_OUTCOMES) expect(alt).toContain(outcomeLegendLabel(o, totals));
    for (const c of COMPLETION_CATEGORIES) expect(alt).toContain(completionLegendLabel(c, totals));
    // And the counts behind the percentages, summed here independently of totalsOf.
    for (const c of COMPLETION_CATEGORIES) {
      const n = data.days.reduce((sum, d) => sum + d.completion[c], 0);
      expect(alt).toContain(`${COMPLETION_STYLE[c].label} `);
      expect(alt).toContain(`(${n.toLocaleString('en-US')})`);
    }
    const sent = data.days.reduce((sum, d) => sum + d.messages.sent, 0);
    expect(alt).toContain(`${OUTCOME_STYLE.sent.label} ${sent.toLocaleString('en-US')}`);
    expect(alt).toContain(`Messages: ${(14 * 1000).toLocaleString('en-US')} in all`);
  });

  it('stays under Slack’s 1000 characters in the worst case: long name, huge counts, gaps', () => {
    const to = '2026-12-31';
    const from = addDays(to, -365);
    const huge = 987_654_321;
    const data: ReportData = {
      studyName: 'A very long study name that keeps going '.repeat(8),
      from,
      to,
      days: [0, 100, 200].map((i) => ({
        date: addDays(from, i),
        messages: Object.fromEntries(MESSAGE_OUTCOMES.map((o) => [o, huge])) as Record<
          (typeof MESSAGE_OUTCOMES)[number],
          number
        >,
        completion: Object.fromEntries(COMPLETION_CATEGORIES.map((c) => [c, huge])) as Record<
          (typeof COMPLETION_CATEGORIES)[number],
          number
        >,
      })),
    };
    const alt = altOf(data);
    expect(alt.length).toBeLessThanOrEqual(ALT_TEXT_LIMIT);
    // Cut by the title rule (80 characters), not by the last-resort guard.
    expect(alt.endsWith('…')).toBe(false);
    expect(alt).toContain('and 360 more.');
  });
});
