/**
 * First-seen days (onboarding): the roster's active DIDs as validation hands them on, and their
 * recording, which is skipped when the same set was recorded whole before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../fixtures/generate.js';
import { loadConfig } from '../../../src/config.js';
import { parseRoster } from '../../../src/roster/read.js';
import { type ActiveDids, recordFirstSeen } from '../../../src/storage/participants-seen.js';
import { openStateDb } from '../../../src/storage/state-db.js';
import { MultisetFingerprint } from '../../../src/util/multiset-fingerprint.js';
import { DayPass } from '../../../src/validation/day-pass.js';
import { validateDay } from '../../../src/validation/validate-day.js';

const dir = mkdtempSync(join(tmpdir(), 'mu-first-seen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'did,email,first_name,last_name,timezone,status';
const row = (did: string, status = 'active', email = `${did.toLowerCase()}@example.org`): string =>
  `${did},${email},Ann,Lee,Europe/London,${status}`;

/** What validation hands to onActive for this roster (the DIDs taken at once: they are read lazily). */
function activeOf(lines: string[]): { fingerprint: string; dids: string[] } {
  let active: ActiveDids | undefined;
  const pass = new DayPass({ onActive: (a) => (active = a) });
  parseRoster(Buffer.from([HEADER, ...lines].join('\n')), pass.visit);
  pass.reportActive();
  return { fingerprint: active!.fingerprint, dids: [...active!.dids()] };
}

describe('the active DIDs validation hands on', () => {
  it('are the active rows with a DID, in roster order; the fingerprint ignores order and tells any change', () => {
    const roster = [row('P01'), row('P02', 'withdrawn'), row('P03'), row('', 'active', 'x@example.org'), row('P04')];
    const seen = activeOf(roster);
    expect(seen.dids).toEqual(['P01', 'P03', 'P04']);
    expect(activeOf([...roster].reverse()).fingerprint).toBe(seen.fingerprint);
    const changed = [
      [row('P01'), row('P02', 'withdrawn'), row('P03'), row('P05')], // one DID replaced
      [row('P01'), row('P02'), row('P03'), row('P04')], // one row made active
      [row('P01'), row('P03')], // one row gone
      [row('P01'), row('P03'), row('P04'), row('P04', 'active', 'other@example.org')], // a DID repeated
      [row('P01'), row('P03'), row('P4')], // one letter
    ];
    const prints = changed.map((lines) => activeOf(lines).fingerprint);
    expect(new Set([seen.fingerprint, ...prints]).size).toBe(changed.length + 1);
  });

  it('tells similar sets apart: DIDs swapped for their neighbours (which cancelled out in a plain FNV sum)', () => {
    const print = (dids: string[]) => {
      const fingerprint = new MultisetFingerprint();
      for (const did of dids) fingerprint.add(did);
      return fingerprint.toString();
    };
    // Found by a reviewer's birthday search against the first fingerprint: equal there, for good.
    expect(print(['S0187051', 'S0187052', 'S0114850', 'S0114853'])).not.toBe(
      print(['S0187050', 'S0187053', 'S0114851', 'S0114852']),
    );
    const prints = new Set<string>();
    for (let x = 0; x < 2_000; x++) {
      const stem = `P${String(x).padStart(5, '0')}`;
      prints.add(print([`${stem}1`, `${stem}2`]));
      prints.add(print([`${stem}0`, `${stem}3`]));
    }
    expect(prints.size).toBe(4_000);
    expect(print(['a', 'b', 'b'])).toBe(print(['b', 'a', 'b']));
    expect(print(['a', 'b', 'b'])).not.toBe(print(['a', 'a', 'b']));
  });
});

describe('validation records first-seen days', () => {
  it('only once the day could be read: a query that fails as it runs records nobody', async () => {
    const fixture = generateFixture({
      participants: 30,
      days: 2,
      seed: 9,
      endDate: '2026-11-23',
      outDir: join(dir, 'fx'),
    });
    const failing = join(dir, 'failing.sql');
    writeFileSync(failing, 'SELECT did FROM daily_compliance WHERE day = :day AND json(did) IS NOT NULL');
    const config = loadConfig({
      COMPLIANCE_DB_PATH: fixture.dbPath,
      PARTICIPANTS_CSV_PATH: fixture.rosterPath,
      STATE_DB_PATH: join(dir, 'unused.db'),
      COMPLIANCE_QUERY_PATH: failing,
    });
    const handed: ActiveDids[] = [];
    await expect(validateDay(config, '2026-11-23', { onActive: (a) => handed.push(a) })).rejects.toMatchObject({
      code: 'query_failed',
    });
    expect(handed).toEqual([]);
    const { COMPLIANCE_QUERY_PATH: _, ...builtIn } = config;
    await validateDay({ ...builtIn }, '2026-11-23', { onActive: (a) => handed.push(a) });
    expect(handed).toHaveLength(1);
    expect([...handed[0]!.dids()].length).toBeGreaterThan(20);
  });
});

describe('recording first-seen days', () => {
  it('writes new DIDs with the day, keeps earlier days, and writes nothing for a set recorded before', () => {
    const db = openStateDb(join(dir, 'state.db'));
    const seenRows = () =>
      db.prepare('SELECT did, first_seen FROM participants_seen ORDER BY did').all() as {
        did: string;
        first_seen: string;
      }[];
    const first = activeOf([row('P01'), row('P02')]);
    expect(
      recordFirstSeen(db, '2026-11-20', { fingerprint: first.fingerprint, dids: () => first.dids }, new Date()),
    ).toBe(true);
    // The same set the same day: nothing written, nothing read from the DIDs.
    const untouched: ActiveDids = {
      fingerprint: first.fingerprint,
      dids: () => {
        throw new Error('the DIDs of a set recorded before were read');
      },
    };
    expect(recordFirstSeen(db, '2026-11-20', untouched, new Date())).toBe(false);
    // On a later day the same set is written in full once (a no-op here): a fingerprint equal
    // by chance could keep a new participant unrecorded for a day at most.
    expect(
      recordFirstSeen(db, '2026-11-21', { fingerprint: first.fingerprint, dids: () => first.dids }, new Date()),
    ).toBe(true);
    expect(recordFirstSeen(db, '2026-11-21', untouched, new Date())).toBe(false);
    // A new participant: recorded on this day; the others keep theirs.
    const grown = activeOf([row('P01'), row('P02'), row('P03')]);
    expect(
      recordFirstSeen(db, '2026-11-22', { fingerprint: grown.fingerprint, dids: () => grown.dids }, new Date()),
    ).toBe(true);
    expect(seenRows()).toEqual([
      { did: 'P01', first_seen: '2026-11-20' },
      { did: 'P02', first_seen: '2026-11-20' },
      { did: 'P03', first_seen: '2026-11-22' },
    ]);
    // Back to the first set: it is not the last one recorded, so it is written (a no-op here).
    expect(
      recordFirstSeen(db, '2026-11-23', { fingerprint: first.fingerprint, dids: () => first.dids }, new Date()),
    ).toBe(true);
    expect(seenRows()).toHaveLength(3);
    db.close();
  });

  it('records the set only with its DIDs: a failure part-way leaves the next validation to write them all', () => {
    const db = openStateDb(join(dir, 'state-fail.db'));
    const set = activeOf([row('P01'), row('P02')]);
    const failing: ActiveDids = {
      fingerprint: set.fingerprint,
      *dids() {
        yield 'P01';
        throw new Error('disk full');
      },
    };
    expect(() => recordFirstSeen(db, '2026-11-20', failing, new Date())).toThrow('disk full');
    expect(db.prepare('SELECT count(*) FROM participants_seen').pluck().get()).toBe(0);
    expect(recordFirstSeen(db, '2026-11-21', { fingerprint: set.fingerprint, dids: () => set.dids }, new Date())).toBe(
      true,
    );
    expect(db.prepare('SELECT count(*) FROM participants_seen').pluck().get()).toBe(2);
    db.close();
  });
});
