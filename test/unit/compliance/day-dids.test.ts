import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../fixtures/generate.js';
import { builtInDayDids, builtInDayImplausible } from '../../../src/compliance/day-dids.js';
import { loadQuery, openComplianceDb, queryDay } from '../../../src/compliance/db.js';
import { findImplausible } from '../../../src/compliance/plausibility.js';

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
        const cheap = queryDay(db, query.sql, query.source, day, (d, date) => builtInDayDids(d, date, []));
        expect([...cheap.dids].sort(), day).toEqual([...full.dids].sort());
        expect(cheap.columns).toEqual(full.columns);
        // Its count comes first, so that the table is sized once.
        const listed = builtInDayDids(db, day, []);
        expect(listed.expected ?? 0).toBe(full.dids.size);
      }
      // The planted "no data on the last day" participant is really missing, so the check has teeth.
      const last = queryDay(db, query.sql, query.source, '2026-11-23', (d, date) => builtInDayDids(d, date, []));
      expect(last.dids.has(fixture.planted.noDataOnLastDay)).toBe(false);
      expect(last.dids.size).toBeGreaterThan(250);
    } finally {
      db.close();
    }
  });

  it('flags every day row plausibility.ts refuses, and words it the same way', () => {
    const fixture = generateFixture({
      participants: 40,
      days: 2,
      seed: 5,
      endDate: '2026-11-23',
      outDir: join(dir, 'bad'),
    });
    const writable = new Database(fixture.dbPath);
    const day = '2026-11-23';
    const set = writable.prepare(
      'UPDATE daily_compliance SET surveys_completed = ?, surveys_expected = ?, wear_minutes = ?, last_sync_at = ? WHERE did = ? AND day = ?',
    );
    const dids = writable
      .prepare('SELECT did FROM daily_compliance WHERE day = ? ORDER BY did')
      .pluck()
      .all(day) as string[];
    const cases: [number | string, number | string, number | string | null, string | null][] = [
      [5, 4, 60, '2026-11-23 10:00:00'], // more done than due
      [-1, 4, 60, null], // negative count
      [2, 4, 1441, null], // over 24 h of wear
      [2, 4, -5, null], // negative wear
      [2, 4, 'lots', null], // wear not a number
      [2.5, 4, 60, null], // a count that is not whole
      [2, 4, 60, 'yesterday-ish'], // a sync time that is not a time
      [0, 0, null, '2026-11-23T22:10:00Z'], // fine: nothing due, no wear, ISO time
      [4, 4, 1440, '2026-11-23 23:59:59'], // fine: the edges
    ];
    cases.forEach(([done, due, wear, sync], i) => {
      set.run(done, due, wear, sync, dids[i], day);
    });
    writable.close();

    const db = openComplianceDb(fixture.dbPath);
    try {
      const suspects: string[] = [];
      const listed = [...builtInDayDids(db, day, suspects)];
      expect(listed.sort()).toEqual([...dids].sort());
      const found = builtInDayImplausible(db, day, suspects);
      const expected = new Map<string, string>();
      for (const row of db
        .prepare(
          'SELECT did, surveys_completed, surveys_expected, wear_minutes, last_sync_at FROM daily_compliance WHERE day = ?',
        )
        .all(day) as ({ did: string } & Record<string, unknown>)[]) {
        const problem = findImplausible(row);
        if (problem) expected.set(row.did, problem.message);
      }
      expect(new Map([...found].map(([did, p]) => [did, p.message]))).toEqual(expected);
      expect([...found.keys()].sort()).toEqual(dids.slice(0, 7).sort());
    } finally {
      db.close();
    }
  });

  it('lists DIDs a pipeline stores as integers, and flags their impossible rows', () => {
    const db = new Database(join(dir, 'integer-dids.db'));
    try {
      db.exec(`CREATE TABLE daily_compliance (did INTEGER NOT NULL, day TEXT NOT NULL,
        surveys_completed INTEGER NOT NULL, surveys_expected INTEGER NOT NULL, wear_minutes INTEGER,
        last_sync_at TEXT, PRIMARY KEY (did, day))`);
      const insert = db.prepare('INSERT INTO daily_compliance VALUES (?, ?, ?, ?, 60, NULL)');
      insert.run(1001, '2026-11-23', 2, 3);
      insert.run(1002, '2026-11-23', 5, 3); // completed > expected
      const suspects: string[] = [];
      const listed = [...builtInDayDids(db, '2026-11-23', suspects)].map(String).sort();
      expect(listed).toEqual(['1001', '1002']);
      expect(suspects).toEqual(['1002']);
      expect([...builtInDayImplausible(db, '2026-11-23', suspects).keys()]).toEqual(['1002']);
    } finally {
      db.close();
    }
  });

  it('lists a day whose DIDs hold the separator of the one-string listing, a row at a time, suspects included', () => {
    const db = new Database(join(dir, 'odd-dids.db'));
    try {
      db.exec(`CREATE TABLE daily_compliance (did TEXT, day TEXT NOT NULL,
        surveys_completed INTEGER NOT NULL, surveys_expected INTEGER NOT NULL, wear_minutes INTEGER,
        last_sync_at TEXT)`);
      const insert = db.prepare('INSERT INTO daily_compliance VALUES (?, ?, ?, ?, 60, NULL)');
      insert.run('P\u001e1', '2026-11-23', 2, 3);
      insert.run('1P2', '2026-11-23', 5, 3); // completed > expected; starts with the suspect mark
      insert.run(null, '2026-11-23', 1, 3); // no DID: not listed
      insert.run('P3', '2026-11-22', 1, 3); // another day
      const suspects: string[] = [];
      expect([...builtInDayDids(db, '2026-11-23', suspects)].sort()).toEqual(['1P2', 'P\u001e1']);
      expect(suspects).toEqual(['1P2']);
      db.prepare('DELETE FROM daily_compliance WHERE did = ?').run('P\u001e1');
      const again: string[] = [];
      expect([...builtInDayDids(db, '2026-11-23', again)]).toEqual(['1P2']);
      expect(again).toEqual(['1P2']);
      expect([...builtInDayDids(db, '2026-11-20', [])]).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('lists DIDs stored as numbers as the dry run reads them (1.0 is "1"), not as SQLite writes them', () => {
    const db = new Database(join(dir, 'real-dids.db'));
    try {
      db.exec(`CREATE TABLE daily_compliance (did, day TEXT NOT NULL,
        surveys_completed INTEGER NOT NULL, surveys_expected INTEGER NOT NULL, wear_minutes INTEGER,
        last_sync_at TEXT)`);
      const insert = db.prepare('INSERT INTO daily_compliance VALUES (?, ?, ?, ?, 60, NULL)');
      insert.run(1.5, '2026-11-23', 2, 3);
      db.prepare("INSERT INTO daily_compliance VALUES (1.0, '2026-11-23', 2, 3, 60, NULL)").run();
      insert.run('P3', '2026-11-23', 4, 3); // completed > expected
      const suspects: string[] = [];
      const listed = [...builtInDayDids(db, '2026-11-23', suspects)].sort();
      const asRendered = (
        db.prepare("SELECT did FROM daily_compliance WHERE day = '2026-11-23'").pluck().all() as unknown[]
      )
        .map(String)
        .sort();
      expect(listed).toEqual(asRendered);
      expect(listed).toEqual(['1', '1.5', 'P3']);
      expect(suspects).toEqual(['P3']);
    } finally {
      db.close();
    }
  });
});
