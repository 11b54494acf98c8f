/**
 * First-seen days (onboarding): the roster's active DIDs as validation hands them on, and their
 * recording, which is skipped when the same set was recorded whole before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRoster } from '../../../src/roster/read.js';
import { type ActiveDids, recordFirstSeen } from '../../../src/storage/participants-seen.js';
import { openStateDb } from '../../../src/storage/state-db.js';
import { DayPass } from '../../../src/validation/day-pass.js';

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
    // The same set on a later day: nothing written, nothing read from the DIDs.
    const untouched: ActiveDids = {
      fingerprint: first.fingerprint,
      dids: () => {
        throw new Error('the DIDs of a set recorded before were read');
      },
    };
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
