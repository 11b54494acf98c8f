import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RosterRow } from '../../../src/roster/read.js';
import { openStateDb, type StateDb } from '../../../src/storage/state-db.js';
import { suppressionIndex } from '../../../src/storage/suppressions.js';
import { addDays } from '../../../src/util/dates.js';
import { suppressionFindings } from '../../../src/validation/suppressed.js';

let dir: string | undefined;
let db: StateDb | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One run per day, one sent message per DID and day; `soft[did]` lists the days (0 = oldest) that soft-bounced. */
function ledger(days: number, soft: Record<string, number[]>): StateDb {
  dir = mkdtempSync(join(tmpdir(), 'soft-'));
  db = openStateDb(join(dir, 'state.db'));
  for (let d = 0; d < days; d++) {
    const date = addDays('2026-11-01', d);
    db.prepare(
      `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
       VALUES (?, ?, ?, 't', 'done', 'h', 't', ?, '{}')`,
    ).run(`r${d}`, date, `${date}T08:00:00Z`, `${date}T20:00:00Z`);
    for (const did of Object.keys(soft))
      db.prepare(
        "INSERT INTO messages (run_id, report_date, did, state, soft_bounces, updated_at) VALUES (?, ?, ?, 'sent', ?, ?)",
      ).run(`r${d}`, date, did, soft[did]!.includes(d) ? 1 : 0, `${date}T09:00:00Z`);
  }
  return db;
}

const row = (did: string, n: number): RosterRow =>
  ({ row: n, did, email: `${did.toLowerCase()}@example.org`, status: 'active' }) as RosterRow;

describe('three soft bounces in the last five sends', () => {
  it('warn (the participant is still e-mailed); older or fewer soft bounces do not', () => {
    // 8 days (0..7): the last five are days 3..7.
    const state = ledger(8, { P1: [3, 5, 7], P2: [0, 1, 2, 7], P3: [6, 7], P4: [4, 5, 6, 7] });
    const index = suppressionIndex(state);
    expect([...(index.softBouncing ?? new Map())].sort()).toEqual([
      ['P1', 3],
      ['P4', 4],
    ]);
    const findings = suppressionFindings(
      ['P1', 'P2', 'P3', 'P4'].map((did, i) => row(did, i + 2)),
      index,
    );
    expect(findings.map((f) => [f.did, f.code, f.severity])).toEqual([
      ['P1', 'email_soft_bouncing', 'warning'],
      ['P4', 'email_soft_bouncing', 'warning'],
    ]);
    expect(findings[0]!.message).toBe(
      "Mail to P1's address was deferred or soft-bounced in 3 of the last 5 sends; it is still e-mailed.",
    );
    expect(JSON.stringify(findings)).not.toContain('@example.org');
  });
});
