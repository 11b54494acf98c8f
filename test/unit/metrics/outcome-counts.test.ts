/**
 * The message counters behind /metrics (message_outcomes): seeded from the ledger of a state DB
 * made before them, then moved by every state change, and never lowered by any writer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { messageOutcomeTotals, runSendDurations } from '../../../src/storage/metrics.js';
import { migrations } from '../../../src/storage/schema.js';
import { openStateDb } from '../../../src/storage/state-db.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const counterMigration = migrations.findIndex((m) => m.includes('CREATE TABLE message_outcomes'));

describe('message_outcomes', () => {
  it('is seeded from an older ledger, counts each transition, and refuses to go down', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-outcomes-'));
    dirs.push(dir);
    const path = join(dir, 'state.db');
    // A state DB of the version before the counters, with a finished run.
    const old = new Database(path);
    for (const sql of migrations.slice(0, counterMigration)) old.exec(sql);
    old.pragma(`user_version = ${counterMigration}`);
    old
      .prepare(
        `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json, decided_at, finished_at)
         VALUES ('r1', '2026-03-01', '2026-03-02T08:00:00Z', 't', 'done', 'h', 't', '2026-03-03T00:00:00Z', '{}', '2026-03-02T09:00:00Z', '2026-03-02T09:02:00Z')`,
      )
      .run();
    const add = old.prepare(
      "INSERT INTO messages (run_id, report_date, did, state, updated_at) VALUES ('r1', '2026-03-01', ?, ?, ?)",
    );
    add.run('A', 'sent', '2026-03-02T09:01:00Z');
    add.run('B', 'bounced', '2026-03-02T11:00:00Z');
    add.run('C', 'failed', '2026-03-02T09:01:30Z');
    add.run('D', 'skipped', '2026-03-02T08:00:00Z');
    old.close();

    const db = openStateDb(path);
    try {
      const counts = () => Object.fromEntries([...messageOutcomeTotals(db)].map(([k, v]) => [k, v.n]));
      expect(counts()).toEqual({ sent: 2, bounced: 1, failed: 1, skipped: 1 });
      expect(messageOutcomeTotals(db).get('sent')?.at).toBe('2026-03-02T09:01:00Z');
      expect(runSendDurations(db)).toEqual([120]);

      // The failed one is resent: failed stays 1, sent goes to 3; unknown comes and goes.
      const set = db.prepare("UPDATE messages SET state = ?, updated_at = ? WHERE did = 'C'");
      set.run('planned', '2026-03-03T09:00:00Z');
      set.run('sending', '2026-03-03T09:00:01Z');
      set.run('unknown', '2026-03-03T09:00:02Z');
      set.run('planned', '2026-03-03T09:10:00Z');
      set.run('sending', '2026-03-03T09:10:01Z');
      set.run('sent', '2026-03-03T09:10:02Z');
      expect(counts()).toEqual({ sent: 3, bounced: 1, failed: 1, skipped: 1, unknown: 1 });
      expect(messageOutcomeTotals(db).get('sent')?.at).toBe('2026-03-03T09:10:02Z');
      // A finished run's duration is not moved by a later resend.
      expect(runSendDurations(db)).toEqual([120]);

      expect(() => db.prepare("UPDATE message_outcomes SET n = 0 WHERE outcome = 'failed'").run()).toThrow(
        /only goes up/,
      );
      expect(() => db.prepare('DELETE FROM message_outcomes').run()).toThrow(/append-only/);
      expect(counts().failed).toBe(1);
    } finally {
      db.close();
    }
  });

  it("a new run's duration is its first claim to its last outcome, set when it is done", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-outcomes-'));
    dirs.push(dir);
    const db = openStateDb(join(dir, 'state.db'));
    try {
      db.prepare(
        `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json, decided_at)
         VALUES ('r2', '2026-03-05', '2026-03-06T08:00:00Z', 't', 'sending', 'h', 't', '2026-03-07T00:00:00Z', '{}', '2026-03-06T08:00:00Z')`,
      ).run();
      const add = db.prepare(
        "INSERT INTO messages (run_id, report_date, did, state, updated_at) VALUES ('r2', '2026-03-05', ?, 'planned', '2026-03-06T08:00:00Z')",
      );
      for (const did of ['A', 'B', 'C']) add.run(did);
      const set = db.prepare('UPDATE messages SET state = ?, updated_at = ? WHERE did = ?');
      // Approved at 08:00; the send starts at 09:00 and ends at 09:00:45.
      set.run('sending', '2026-03-06T09:00:00Z', 'A');
      set.run('sent', '2026-03-06T09:00:10Z', 'A');
      set.run('sending', '2026-03-06T09:00:20Z', 'B');
      set.run('failed', '2026-03-06T09:00:30Z', 'B');
      set.run('sending', '2026-03-06T09:00:40Z', 'C');
      set.run('sent', '2026-03-06T09:00:45Z', 'C');
      expect(runSendDurations(db)).toEqual([]);
      db.prepare("UPDATE runs SET state = 'done', finished_at = '2026-03-06T09:01:00Z' WHERE id = 'r2'").run();
      expect(runSendDurations(db)).toEqual([45]);
    } finally {
      db.close();
    }
  });
});
