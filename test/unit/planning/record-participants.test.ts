/**
 * The dry run never leaves a write transaction open when it hands control back: the caller's
 * next step is an await (the render pool's shutdown), and an open transaction there would hold
 * up a concurrent sender's claim, or lose the rows if the process died.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { PlanWriter } from '../../../src/planning/plan-writer.js';
import { recordParticipants } from '../../../src/planning/record-participants.js';
import type { Renderer } from '../../../src/planning/render-pool.js';
import type { RosterRow } from '../../../src/roster/read.js';
import { insertPlanningRun } from '../../../src/storage/runs.js';
import { openStateDb } from '../../../src/storage/state-db.js';
import { Participants, standingOf } from '../../../src/validation/participants.js';
import type { DayValidation } from '../../../src/validation/validate-day.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function row(did: string, n: number): RosterRow {
  return {
    row: n,
    did,
    email: `${did}@example.org`,
    firstName: 'A',
    lastName: 'B',
    timezone: 'UTC',
    status: 'active',
    values: [],
  } as unknown as RosterRow;
}

describe('recordParticipants', () => {
  it('returns with everything committed when nobody is eligible (all skipped or blocked)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    dirs.push(dir);
    const db = openStateDb(join(dir, 'state.db'));
    const at = new Date().toISOString();
    insertPlanningRun(db, {
      id: 'r1',
      reportDate: '2026-11-30',
      createdAt: at,
      requestedBy: 'test',
      templateHash: 'h',
      mailFrom: null,
      redirectTo: null,
      expiresAt: at,
    });
    const writer = new PlanWriter(db, dir, { id: 'r1', reportDate: '2026-11-30', templateHash: 'h', ts: at });
    // D1 paused (skipped), D2 blocked by a finding of its own.
    const roster = [{ ...row('D1', 2), status: 'paused' }, row('D2', 3)];
    const validation = {
      reportDate: '2026-11-30',
      runBlocked: false,
      roster: { rows: roster },
      participants: new Participants(
        roster,
        Uint8Array.from([standingOf(roster[0]!, true), standingOf(roster[1]!, true)]),
        new Map([[1, ['email_invalid']]]),
        Uint8Array.from([1, 1]),
      ),
    } as unknown as DayValidation;
    const renderer = { render: async () => [], close: async () => undefined } as unknown as Renderer;
    await recordParticipants({ db, config: {} as Config, validation, writer, renderer });
    expect(db.inTransaction).toBe(false);
    const rows = db.prepare('SELECT did, state FROM messages WHERE run_id = ? ORDER BY did').all('r1');
    expect(rows).toEqual([
      { did: 'D1', state: 'skipped' },
      { did: 'D2', state: 'blocked' },
    ]);
    writer.abort();
    db.close();
  });
});
