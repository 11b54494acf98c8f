/**
 * The day's query in its worker thread, as the built package runs it (`npm test` builds dist/
 * first): the same result as in this thread, and the same errors, whatever crosses the thread.
 */
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../fixtures/generate.js';
import { queryTheDay } from '../../../src/compliance/day-query.js';
import { loadQuery } from '../../../src/compliance/db.js';

type Aside = typeof import('../../../src/compliance/day-query-aside.js');
const built = (await import(join(import.meta.dirname, '../../../dist/src/compliance/day-query-aside.js'))) as Aside;

/** A roster size for which the built package uses the worker. */
const WORKER = built.WORKER_MIN_ROSTER_BYTES;

const dir = mkdtempSync(join(tmpdir(), 'mu-day-aside-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = generateFixture({ participants: 3_000, days: 3, seed: 11, endDate: '2026-11-23', outDir: dir });

describe('the day query in a worker thread', () => {
  it('runs in a worker in the built package and answers as this thread does: DIDs, columns, impossible values', async () => {
    expect(built.DAY_QUERY_IN_WORKER).toBe(true);
    // The worker's one-file CommonJS build (src/vendor/build.mjs), not its ES modules.
    expect(existsSync(built.DAY_QUERY_WORKER_FILE)).toBe(true);
    expect(built.DAY_QUERY_WORKER_FILE.pathname.endsWith('/dist/src/compliance/day-query-worker.cjs')).toBe(true);
    // Impossible values for three DIDs, and DIDs beyond ASCII, so that every part of the reply is used.
    const dbPath = join(dir, 'odd.db');
    copyFileSync(fixture.dbPath, dbPath);
    const db = new Database(dbPath);
    db.exec(`UPDATE daily_compliance SET surveys_completed = surveys_expected + 1
             WHERE day = '2026-11-23' AND did IN (SELECT did FROM daily_compliance WHERE day = '2026-11-23' LIMIT 3)`);
    db.exec(
      `INSERT INTO daily_compliance VALUES ('Pé01', '2026-11-23', 1, 2, 60, NULL), ('P😀2', '2026-11-23', 1, 1, 60, NULL)`,
    );
    db.close();
    const query = loadQuery(undefined);
    for (const reportDate of ['2026-11-23', '2026-11-22', '2020-01-01']) {
      const here = queryTheDay(dbPath, query, reportDate);
      const there = await built.queryTheDayAside({ dbPath, query, reportDate }, WORKER);
      expect([...there.day.dids], reportDate).toEqual([...here.day.dids]);
      expect(there.day.columns).toEqual(here.day.columns);
      expect(there.newest).toBe(here.newest);
      expect([...there.implausible]).toEqual([...here.implausible]);
      // The table that crossed answers lookups, not only iteration.
      for (const did of here.day.dids) expect(there.day.dids.has(did)).toBe(true);
      expect(there.day.dids.has('P-not-there')).toBe(false);
    }
    const today = await built.queryTheDayAside({ dbPath, query, reportDate: '2026-11-23' }, WORKER);
    expect(today.implausible.size).toBe(3);
    expect(today.day.dids.has('P😀2')).toBe(true);
    expect((await built.queryTheDayAside({ dbPath, query, reportDate: '2020-01-01' }, WORKER)).newest).toBe(
      '2026-11-23',
    );
  });

  it('brings the error back as the same UsageError, code and words (a missing file, SQL that fails as it runs)', async () => {
    const query = loadQuery(undefined);
    const missing = join(dir, 'gone.db');
    const inThread = (() => {
      try {
        queryTheDay(missing, query, '2026-11-23');
      } catch (error) {
        return error as Error & { code: string; exitCode: number };
      }
      throw new Error('expected an error');
    })();
    await expect(
      built.queryTheDayAside({ dbPath: missing, query, reportDate: '2026-11-23' }, WORKER),
    ).rejects.toMatchObject({
      name: 'UsageError',
      code: 'compliance_db_missing',
      message: inThread.message,
      exitCode: inThread.exitCode,
    });
    // Compiles, then fails on the first row: json() of a DID, which is not JSON.
    const failing = join(dir, 'failing.sql');
    writeFileSync(failing, 'SELECT did FROM daily_compliance WHERE day = :day AND json(did) IS NOT NULL');
    const custom = loadQuery(failing);
    await expect(
      built.queryTheDayAside({ dbPath: fixture.dbPath, query: custom, reportDate: '2026-11-23' }, WORKER),
    ).rejects.toMatchObject({
      name: 'UsageError',
      code: 'query_failed',
      message: expect.stringMatching(/malformed JSON/),
    });
  });

  it('reads the day in this thread when the worker cannot start (its file missing from a partial deploy)', async () => {
    // A copy of the built package without the worker's file; under dist/ so that its imports resolve.
    const root = join(import.meta.dirname, '../../..');
    const copy = join(root, 'dist', `.partial-deploy-${process.pid}`);
    cpSync(join(root, 'dist', 'src'), join(copy, 'src'), { recursive: true });
    rmSync(join(copy, 'src', 'compliance', 'day-query-worker.cjs'));
    try {
      const partial = (await import(join(copy, 'src', 'compliance', 'day-query-aside.js'))) as Aside;
      const query = loadQuery(undefined);
      const here = queryTheDay(fixture.dbPath, query, '2026-11-23');
      const result = await partial.queryTheDayAside(
        { dbPath: fixture.dbPath, query, reportDate: '2026-11-23' },
        WORKER,
      );
      expect([...result.day.dids]).toEqual([...here.day.dids]);
      expect(result.day.dids.size).toBeGreaterThan(2_500);
      // Its own errors are still the ones reported.
      await expect(
        partial.queryTheDayAside({ dbPath: join(dir, 'gone.db'), query, reportDate: '2026-11-23' }, WORKER),
      ).rejects.toMatchObject({ name: 'UsageError', code: 'compliance_db_missing' });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
