import { describe, expect, it } from 'vitest';
import { weekHtml, weekOf, weekText } from '../../../src/mail/week.js';

describe('this week at a glance', () => {
  const days = weekOf('2026-11-29', [
    ['2026-11-23', 4, 4],
    ['2026-11-24', 1, 4],
    // 25th: no row in the compliance DB
    ['2026-11-26', 0, 0],
    ['2026-11-27', 2, 4],
    ['2026-11-28', 2, 2],
    ['2026-11-29', 3, 4],
    ['2026-11-15', 9, 9], // outside the window: ignored
  ]);

  it('covers the 7 days ending on the report date, with no-data and nothing-due days said as such', () => {
    expect(days.map((d) => d.day)).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    expect(weekText(days)).toBe(
      [
        '  Mon 23    Tue 24    Wed 25    Thu 26    Fri 27    Sat 28    Sun 29',
        '  4 of 4    1 of 4    no data   none due  2 of 4    2 of 2    3 of 4',
      ].join('\n'),
    );
  });

  it('is a 7-column data table with a caption and column headers, inline styles only', () => {
    const html = weekHtml(days);
    expect(html.match(/<th scope="col"/g)).toHaveLength(7);
    expect(html.match(/<td /g)).toHaveLength(7);
    expect(html).toContain('<caption');
    expect(html).toContain('abbr="Wednesday 25"');
    expect(html).toMatch(/>no data<\/td>/);
    expect(html).toMatch(/font-weight:bold;">4 of 4<\/td>/);
    expect(html).not.toMatch(/<img|<link|<style|url\(|https?:/);
  });

  it('on the first day shows only that day; earlier days have no data', () => {
    const first = weekOf('2026-11-29', [['2026-11-29', 1, 2]]);
    expect(weekText(first).split('\n')[1]).toBe('  no data   no data   no data   no data   no data   no data   1 of 2');
  });
});
