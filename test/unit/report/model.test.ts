import { describe, expect, it } from 'vitest';
import { dateRange, percent, shortDate } from '../../../src/report/format.js';
import {
  assertValidReportData,
  daysInRange,
  type ReportData,
  totalsOf,
  zeroCompletion,
  zeroMessages,
} from '../../../src/report/model.js';

const day = (date: string) => ({ date, messages: zeroMessages(), completion: zeroCompletion() });

describe('ReportData checks', () => {
  it('accepts a range with gaps, in any order', () => {
    expect(() =>
      assertValidReportData({ from: '2026-11-01', to: '2026-11-14', days: [day('2026-11-10'), day('2026-11-02')] }),
    ).not.toThrow();
  });

  it('names every problem and its fix at once', () => {
    const bad: ReportData = {
      from: '2026-11-01',
      to: '2026-11-07',
      days: [
        day('2026-11-08'),
        day('2026-11-03'),
        day('2026-11-03'),
        { ...day('2026-11-04'), completion: { ...zeroCompletion(), some: 1.5 } },
      ],
    };
    expect(() => assertValidReportData(bad)).toThrowErrorMatchingInlineSnapshot(`
      [RangeError: Cannot draw the report:
        - 2026-11-08 is outside 2026-11-01..2026-11-07; drop it or widen the range.
        - 2026-11-03 appears twice; give one entry per day.
        - 2026-11-04 completion.some is 1.5; counts are whole numbers, 0 or more.]
    `);
  });

  it('refuses bad dates and ranges over a year', () => {
    expect(() => assertValidReportData({ from: '2026-02-30', to: '2026-03-01', days: [] })).toThrow(
      'from is "2026-02-30"; give a YYYY-MM-DD date.',
    );
    expect(() => assertValidReportData({ from: '2025-01-01', to: '2026-01-02', days: [] })).toThrow(
      'more than 366 days',
    );
  });
});

describe('totals and dates', () => {
  it('adds up every day, and counts participant-days', () => {
    const a = day('2026-11-01');
    const data: ReportData = {
      from: '2026-11-01',
      to: '2026-11-02',
      days: [
        { ...a, messages: { ...a.messages, sent: 10, bounced: 1 }, completion: { ...a.completion, all: 6, none: 5 } },
        { ...day('2026-11-02'), messages: { ...zeroMessages(), failed: 2 } },
      ],
    };
    const totals = totalsOf(data);
    expect(totals.messages).toMatchObject({ sent: 10, bounced: 1, failed: 2 });
    expect(totals.messageCount).toBe(13);
    expect(totals.participantDays).toBe(11);
  });

  it('lists every day of a range, across a month and a daylight-saving change', () => {
    expect(daysInRange('2026-10-30', '2026-11-02')).toEqual(['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02']);
  });

  it('prints dates and shares the same way everywhere', () => {
    expect(shortDate('2026-11-02')).toBe('Mon 2 Nov');
    expect(dateRange('2026-11-02', '2026-11-15')).toBe('Mon 2 Nov – Sun 15 Nov 2026');
    expect(dateRange('2026-12-28', '2027-01-10')).toBe('Mon 28 Dec 2026 – Sun 10 Jan 2027');
    expect([percent(0, 10), percent(1, 1000), percent(999, 1000), percent(1000, 1000), percent(5, 0)]).toEqual([
      '0%',
      '<1%',
      '>99%',
      '100%',
      '0%',
    ]);
  });
});
