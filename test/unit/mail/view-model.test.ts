import { describe, expect, it } from 'vitest';
import type { ComplianceRow } from '../../../src/compliance/db.js';
import { loadTemplates, renderTemplates } from '../../../src/mail/templates.js';
import { buildView, derivedFieldsFor, type StudySettings } from '../../../src/mail/view-model.js';
import { complianceRow } from '../../support/compliance-rows.js';

const study: StudySettings = { reportDate: '2026-11-29', studyTz: 'UTC' };
const templates = loadTemplates(undefined);

function render(row: ComplianceRow, fields: Record<string, string> = { first_name: 'Ana' }, s = study) {
  const built = buildView(s, fields, row);
  if (!('view' in built)) throw new Error(`implausible: ${built.implausible.message}`);
  return { view: built.view, ...renderTemplates(templates, built.view) };
}

function implausible(row: ComplianceRow): string | undefined {
  const built = buildView(study, {}, row);
  return 'implausible' in built ? `${built.implausible.field}: ${built.implausible.message}` : undefined;
}

describe('the participant view: numbers', () => {
  it('renders a full day with the default templates, no blanks', () => {
    const out = render(complianceRow());
    expect(out.subject).toBe('Your study update for Sunday 29 November 2026: 3 of 4 surveys');
    expect(out.text).toContain('Hello Ana,\n');
    expect(out.text).toContain('  Surveys completed:  3 of 4\n');
    expect(out.text).toContain('  Device wear time:   6 h 17 min\n');
    expect(out.text).toContain('Since you joined (14 days)');
    expect(out.text).toContain('  Surveys completed:  42 of 56 (75%)\n');
    expect(out.text).toContain('  Average wear time:  6 h 17 min a day\n');
    expect(out.text).toContain("You completed most of yesterday's surveys.");
    expect(out.text).not.toMatch(/ {2}\n| ,|\(\)|undefined|null/);
  });

  it('says there is no wear data instead of a blank', () => {
    const out = render(complianceRow({ wear_minutes: null, std_wear_days: 0, std_avg_wear_minutes: null }));
    expect(out.text).toContain('  Device wear time:   no wear recorded\n');
    expect(out.text).toContain('  Average wear time:  no wear recorded yet\n');
  });

  it('says the average covers only the days with wear data (8 of 14)', () => {
    const out = render(complianceRow({ std_wear_days: 8 }));
    expect(out.text).toContain('  Average wear time:  6 h 17 min a day on the 8 days with wear data\n');
    expect(render(complianceRow({ std_wear_days: 1, std_days: 2 })).view.std_avg_wear_time).toBe(
      '6 h 17 min a day on the 1 day with wear data',
    );
  });

  it('with no surveys due, never says "0 of 0" or "every survey"', () => {
    const out = render(complianceRow({ surveys_completed: 0, surveys_expected: 0 }));
    expect(out.subject).toBe('Your study update for Sunday 29 November 2026: no surveys were due');
    expect(out.text).toContain('  Surveys completed:  none were due\n');
    expect(out.text).toContain('No surveys were due yesterday.');
    expect(`${out.subject}\n${out.text}`).not.toMatch(/0 of 0|every survey/);
    const none = render(complianceRow({ std_surveys_completed: 0, std_surveys_expected: 0 }));
    expect(none.view.std_surveys_line).toBe('none were due yet');
  });

  it('calls 1 of 2 "half", not "most"; 0 of 3 a light day; 1 of 3 "some"', () => {
    const words = (done: number, due: number) =>
      render(complianceRow({ surveys_completed: done, surveys_expected: due })).view.encouragement;
    expect(words(1, 2)).toMatch(/^You completed half of/);
    expect(words(2, 3)).toMatch(/^You completed most of/);
    expect(words(1, 3)).toMatch(/^You completed some of/);
    expect(words(0, 3)).toMatch(/^Yesterday was a light day/);
    expect(words(4, 4)).toMatch(/^You completed every survey/);
    expect(render(complianceRow({ surveys_completed: 1, surveys_expected: 1 })).subject).toMatch(/: 1 of 1 survey$/);
  });

  it('on the first day says "(1 day)" and does not round 199 of 200 up to 100%', () => {
    const first = render(
      complianceRow({ std_days: 1, std_wear_days: 1, std_surveys_completed: 3, std_surveys_expected: 4 }),
    );
    expect(first.text).toContain('Since you joined (1 day)');
    expect(render(complianceRow({ std_surveys_completed: 199, std_surveys_expected: 200 })).view.std_percent).toBe(99);
    expect(render(complianceRow({ std_surveys_completed: 1, std_surveys_expected: 300 })).view.std_percent).toBe(1);
  });
});

describe('the participant view: names and study', () => {
  it('greets "Hello," when the first name is empty', () => {
    expect(render(complianceRow(), { first_name: '' }).text).toMatch(/^Hello,\n/);
    expect(render(complianceRow(), { first_name: '  ' }).view.greeting).toBe('Hello,');
  });

  it('names the study and its contact, and always says how to stop the e-mails', () => {
    const named = render(
      complianceRow(),
      { first_name: 'Ana' },
      { ...study, studyName: 'SleepWell', studyContact: '+1 555 0100' },
    );
    expect(named.subject).toMatch(/^Your SleepWell update for /);
    expect(named.text).toContain('enrolled in SleepWell (participant ID P001)');
    expect(named.text).toContain('The SleepWell team');
    expect(named.text).toContain(
      'To stop these daily e-mails, reply with the word "unsubscribe" or contact the study team at +1 555 0100.',
    );
    expect(named.html).toContain('contact the study team at +1 555 0100.');
    const plain = render(complianceRow());
    expect(plain.text).toContain('To stop these daily e-mails, reply to this e-mail with the word "unsubscribe".');
    expect(plain.html).toContain('To stop these daily e-mails');
  });
});

describe('the participant view: time zones', () => {
  it("shows the last sync in the participant's own zone with its abbreviation", () => {
    const ny = render(complianceRow(), { first_name: 'Ana', timezone: 'America/New_York' });
    expect(ny.text).toContain('  Last device sync:   29 Nov, 18:38 EST\n');
    expect(render(complianceRow()).view.last_sync).toBe('29 Nov, 23:38 UTC');
  });

  it('falls back to STUDY_TZ when the roster has no zone', () => {
    const out = render(complianceRow(), { first_name: 'Ana', timezone: '' }, { ...study, studyTz: 'Europe/London' });
    expect(out.view.last_sync).toBe('29 Nov, 23:38 GMT');
  });

  it('follows a DST change (US: 8 March 2026; EU: 29 March 2026)', () => {
    const at = (iso: string, timezone: string) =>
      render(complianceRow({ last_sync_at: iso }), { timezone }).view.last_sync;
    expect(at('2026-03-08T06:30:00Z', 'America/New_York')).toBe('8 Mar, 01:30 EST');
    expect(at('2026-03-08T07:30:00Z', 'America/New_York')).toBe('8 Mar, 03:30 EDT');
    expect(at('2026-03-29T00:30:00Z', 'Europe/London')).toBe('29 Mar, 00:30 GMT');
    expect(at('2026-03-29T01:30:00Z', 'Europe/London')).toBe('29 Mar, 02:30 BST');
  });

  it("reads SQLite's zoneless timestamps as UTC and says when there was no sync", () => {
    expect(
      render(complianceRow({ last_sync_at: '2026-11-29 23:38:00' }), { timezone: 'America/New_York' }).view.last_sync,
    ).toBe('29 Nov, 18:38 EST');
    expect(render(complianceRow({ last_sync_at: null })).view.last_sync).toBe('no sync recorded');
  });
});

describe('impossible data', () => {
  it('is refused, naming the field and the compliance numbers', () => {
    expect(implausible(complianceRow())).toBeUndefined();
    expect(implausible(complianceRow({ surveys_completed: 5, surveys_expected: 4 }))).toBe(
      'surveys_completed: surveys_completed (5) is more than surveys_expected (4)',
    );
    expect(implausible(complianceRow({ surveys_expected: -1 }))).toMatch(/^surveys_expected: .* not a count/);
    expect(implausible(complianceRow({ wear_minutes: 1441 }))).toMatch(
      /^wear_minutes: wear_minutes is 1441, outside 0–1440/,
    );
    expect(implausible(complianceRow({ wear_minutes: -5 }))).toMatch(/^wear_minutes:/);
    expect(implausible(complianceRow({ std_surveys_completed: 60 }))).toMatch(/^std_surveys_completed:/);
    expect(implausible(complianceRow({ std_wear_days: 15 }))).toMatch(/^std_wear_days:/);
    expect(implausible(complianceRow({ surveys_completed: 'three' }))).toMatch(/^surveys_completed:/);
    expect(implausible(complianceRow({ last_sync_at: 'yesterday' }))).toMatch(/^last_sync_at:/);
    expect(implausible(complianceRow({ week_json: '[["2026-11-29",5,4]]' }))).toBe(
      'week_json: on 2026-11-29, 5 surveys completed of 4 expected',
    );
  });
});

describe('derived fields', () => {
  it('are offered only when the query has the columns they need', () => {
    expect(derivedFieldsFor(['did'])).toEqual(['greeting', 'study_title', 'study_ref', 'contact_line', 'unsubscribe']);
    expect(derivedFieldsFor(Object.keys(complianceRow()))).toContain('week_html');
  });
});
