/**
 * The picture goes to Slack: nothing in it may name a participant. The type has no place for a
 * DID, a name or an address; these check that the input really is counts only, and that the
 * renderer reads only the declared fields even when a caller's object carries more.
 */
import { describe, expect, it } from 'vitest';
import {
  COMPLETION_CATEGORIES,
  MESSAGE_OUTCOMES,
  type ReportData,
  type ReportDay,
  totalsOf,
} from '../../../src/report/model.js';
import { renderReportPng } from '../../../src/report/render.js';
import { simulatedStudy } from '../../support/report-data.js';

const DAY_KEYS = ['completion', 'date', 'messages'];

/** Every key and leaf of the JSON form: only dates, counts and the study's name. */
function assertCountsOnly(data: ReportData): void {
  const json = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  expect(Object.keys(json).sort()).toEqual(['days', 'from', 'studyName', 'to'].filter((k) => k in json));
  for (const d of json.days as Record<string, unknown>[]) {
    expect(Object.keys(d).sort()).toEqual(DAY_KEYS);
    expect(d.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const messages = d.messages as Record<string, unknown>;
    const completion = d.completion as Record<string, unknown>;
    expect(Object.keys(messages).sort()).toEqual([...MESSAGE_OUTCOMES].sort());
    expect(Object.keys(completion).sort()).toEqual([...COMPLETION_CATEGORIES].sort());
    for (const n of [...Object.values(messages), ...Object.values(completion)]) expect(typeof n).toBe('number');
  }
}

describe('the report is de-identified', () => {
  it.each([1, 2, 3])(
    'simulated study (seed %i) is counts only, and its picture and alt text hold no address',
    async (seed) => {
      const data = simulatedStudy({ participants: 200, days: 14, to: '2026-11-22', seed, studyName: 'Sleep Study' });
      assertCountsOnly(data);
      const { svg, altText } = await renderReportPng(data);
      expect(svg.includes('@')).toBe(false);
      expect(altText.includes('@')).toBe(false);
      expect(/\bP\d{3,}\b/.test(svg) || /\bP\d{3,}\b/.test(altText)).toBe(false);
    },
  );

  it('draws nothing of fields that are not in the type, should a caller pass a richer object', async () => {
    const base = simulatedStudy({ participants: 50, days: 7, to: '2026-11-22' });
    // A row straight from a query, with more than the type declares (TypeScript checks excess
    // properties only on literals, so this compiles in a caller).
    const leaky = {
      did: 'P0042',
      email: 'jo.bloggs@example.org',
      first_name: 'Jo',
      ...base.days[0]!,
      messages: { ...base.days[0]!.messages, to: 'jo.bloggs@example.org' },
    };
    const withExtra: ReportDay = leaky;
    const data: ReportData = { ...base, days: [withExtra, ...base.days.slice(1)] };
    const { svg, altText } = await renderReportPng(data);
    for (const secret of ['P0042', 'jo.bloggs', '@', 'Jo ']) {
      expect(svg.includes(secret), secret).toBe(false);
      expect(altText.includes(secret), secret).toBe(false);
    }
    // And the totals are the same as without the extras.
    expect(totalsOf(data)).toEqual(totalsOf(base));
  });
});
