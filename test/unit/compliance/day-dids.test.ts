import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../fixtures/generate.js';
import { builtInDayDids } from '../../../src/compliance/day-dids.js';
import { loadQuery, openComplianceDb, queryDay } from '../../../src/compliance/db.js';

const dir = mkdtempSync(join(tmpdir(), 'mu-day-dids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the cheap DID listing for validation', () => {
  it('lists exactly the DIDs the built-in query returns, on every day (gaps included)', () => {
    const fixture = generateFixture({ participants: 300, days: 4, seed: 3, endDate: '2026-11-23', outDir: dir });
    const db = openComplianceDb(fixture.dbPath);
    try {
      const query = loadQuery(undefined);
      for (const day of ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']) {
        const full = queryDay(db, query.sql, query.source, day);
        const cheap = queryDay(db, query.sql, query.source, day, builtInDayDids);
        expect([...cheap.dids].sort(), day).toEqual([...full.dids].sort());
        expect(cheap.columns).toEqual(full.columns);
      }
      // The planted "no data on the last day" participant is really missing, so the check has teeth.
      const last = queryDay(db, query.sql, query.source, '2026-11-23', builtInDayDids);
      expect(last.dids.has(fixture.planted.noDataOnLastDay)).toBe(false);
      expect(last.dids.size).toBeGreaterThan(250);
    } finally {
      db.close();
    }
  });
});
