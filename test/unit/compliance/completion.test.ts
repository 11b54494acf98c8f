/**
 * The report's survey completion: the code recorded from the compliance query's row follows the
 * same rule as the SQL over daily_compliance, and for the built-in query the table read directly
 * gives exactly what the query gives (so runs planned before the code was recorded read right).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../fixtures/generate.js';
import { completionCode, completionRows, NO_SURVEY_COLUMNS } from '../../../src/compliance/completion.js';
import { iterateDay, loadQuery, openComplianceDb } from '../../../src/compliance/db.js';

const dir = mkdtempSync(join(tmpdir(), 'mu-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('completionCode', () => {
  it('is all / some / none as the SQL rule, and says so when the query has no survey columns', () => {
    const code = (surveys_completed: unknown, surveys_expected: unknown) =>
      completionCode({ did: 'X', surveys_completed, surveys_expected });
    expect(code(3, 3)).toBe(0);
    expect(code(4, 3)).toBe(0);
    expect(code(0, 0)).toBe(0);
    expect(code(1, 3)).toBe(1);
    expect(code(0, 3)).toBe(2);
    expect(code(null, 3)).toBe(2);
    expect(code(2, null)).toBe(1);
    expect(code(3n, 3n)).toBe(0);
    expect(completionCode({ did: 'X', wear_minutes: 400 })).toBe(NO_SURVEY_COLUMNS);
  });

  it('over the built-in query equals the daily_compliance table, day by day', () => {
    const fixture = generateFixture({ participants: 300, days: 6, seed: 5, endDate: '2026-11-23', outDir: dir });
    const db = openComplianceDb(fixture.dbPath);
    try {
      const query = loadQuery(undefined);
      const days = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];
      const fromQuery = new Map<string, number>();
      for (const day of days)
        for (const row of iterateDay(db, query.sql, query.source, day))
          fromQuery.set(`${day} ${String(row.did)}`, completionCode(row));
      const fromTable = new Map(
        [...completionRows(db, days[0]!, days.at(-1)!)].map(([day, did, c]) => [`${day} ${did}`, c] as const),
      );
      expect(fromQuery.size).toBeGreaterThan(1000);
      expect(fromTable).toEqual(fromQuery);
      // The fixture has all three, so the comparison has teeth.
      expect(new Set(fromQuery.values())).toEqual(new Set([0, 1, 2]));
    } finally {
      db.close();
    }
  });
});
