/** The words the team reads about bounces, opt-outs and reach (issue 11), pinned. */
import { describe, expect, it } from 'vitest';
import type { DayStatus } from '../../../commands/status.js';
import { countsText } from '../../../src/slack/blocks.js';
import { bounceRateText, optOutText } from '../../../src/slack/notices.js';
import { homeView } from '../../../src/slack/views/home.js';
import { adherenceText, statusBlocks } from '../../../src/slack/views/status.js';
import { MESSAGE_STATES, type StateCounts } from '../../../src/storage/messages.js';

const counts = (partial: Partial<StateCounts>): StateCounts =>
  ({ ...Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])), ...partial }) as StateCounts;

function dayStatus(adherence: DayStatus['adherence'] | undefined): DayStatus {
  return {
    report_date: '2026-11-30',
    run: null,
    sending_now: null,
    smtp: null,
    last_sync: null,
    recent_runs: [],
    outcomes: [],
    ...(adherence === undefined ? {} : { adherence }),
  };
}

describe('bounce and opt-out words', () => {
  it('the request counts say how many bounced later, and nothing when none did', () => {
    expect(countsText(counts({ sent: 28, bounced: 2 }))).toBe(
      '28 sent · 2 bounced later · failed 0 · unknown 0 · skipped 0 · blocked 0',
    );
    expect(countsText(counts({ sent: 30 }))).not.toContain('bounced');
  });

  it('an opt-out is not a withdrawal', () => {
    expect(optOutText('S-0123')).toBe(
      'S-0123 asked to stop the daily e-mails. This is not a withdrawal from the study: follow up.',
    );
  });

  it('the bounce-rate alert names the day, the share and the limit', () => {
    expect(bounceRateText('run-1', '2026-11-30', 3, 40, 5)).toContain(
      '*Bounce rate 7.5%* for 2026-11-30 (run `run-1`): 3 of 40 sent message(s) bounced, above BOUNCE_ALERT_PERCENT (5%). The relay may be blocklisted',
    );
  });
});

describe('reach and adherence in App Home and /mail-status', () => {
  const adherence = {
    from: '2026-11-17',
    to: '2026-11-30',
    days: [
      {
        report_date: '2026-11-30',
        participants: 30,
        unreachable: 3,
        bounced: 2,
        suppressed: 0,
        blocked: 0,
        opted_out: 1,
        reached: { all: 20, some: 4, none: 2, no_data: 1 },
      },
    ],
  };

  it('tells the not-reached apart from the reached-but-non-compliant', () => {
    expect(adherenceText(dayStatus(adherence))).toContain(
      '2026-11-30: not reached 3 (bounced 2, suppressed 0, blocked by validation 0, opted out 1) · reached: all surveys 20, some 4, none 2, no data 1',
    );
    const home = JSON.stringify(homeView(dayStatus(adherence), [], 'UTC'));
    expect(home).toContain('Reach and adherence, last 14 days');
    expect(home).toContain('not reached 3');
    expect(JSON.stringify(statusBlocks(dayStatus(adherence)))).toContain('not reached 3');
  });

  it('says so when the compliance DB could not be read, and shows nothing without days', () => {
    expect(adherenceText(dayStatus(null))).toContain('could not be read');
    expect(adherenceText(dayStatus({ ...adherence, days: [] }))).toBeUndefined();
    expect(JSON.stringify(homeView(dayStatus(undefined), [], 'UTC'))).not.toContain('Reach and adherence');
  });
});
