import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregateReport, aggregateReportWithSource } from '../../../src/report/aggregate.js';
import { messagesInRange } from '../../../src/storage/report-ledger.js';
import { openStateDb } from '../../../src/storage/state-db.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'report-agg-'));
  dirs.push(dir);
  const state = openStateDb(join(dir, 'state.db'));
  const compliance = new Database(join(dir, 'compliance.db'));
  compliance.exec(`CREATE TABLE daily_compliance (did TEXT NOT NULL, day TEXT NOT NULL,
    surveys_completed INTEGER NOT NULL, surveys_expected INTEGER NOT NULL, wear_minutes INTEGER, last_sync_at TEXT,
    PRIMARY KEY (did, day))`);
  const run = (id: string, date: string) =>
    state
      .prepare(
        `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
         VALUES (?, ?, '2026-01-01T00:00:00Z', 't', 'done', 'h', 't', '2026-01-02T00:00:00Z', '{}')`,
      )
      .run(id, date);
  const message = (
    runId: string,
    date: string,
    did: string,
    st: string,
    reason: string | null = null,
    completion: number | null = null,
  ) =>
    state
      .prepare(
        "INSERT INTO messages (run_id, report_date, did, state, reason, completion, updated_at) VALUES (?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
      )
      .run(runId, date, did, st, reason, completion);
  const surveys = (did: string, day: string, completed: number, expected: number) =>
    compliance.prepare('INSERT INTO daily_compliance VALUES (?, ?, ?, ?, 60, NULL)').run(did, day, completed, expected);
  return { state, compliance, run, message, surveys };
}

describe('aggregateReport', () => {
  it('counts each message once by its final state, and each participant once by completion', () => {
    const { state, compliance, run, message, surveys } = setUp();
    const d1 = '2026-03-02';
    const d2 = '2026-03-03';
    run('r1', d1);
    run('r2', d1); // a re-run of the same day: its rows are the newer ones
    message('r1', d1, 'did:a', 'failed');
    message('r2', d1, 'did:a', 'sent');
    message('r1', d1, 'did:b', 'sent'); // delivered in the first run...
    message('r2', d1, 'did:b', 'skipped', 'already_sent'); // ...so the re-run skipped it
    message('r1', d1, 'did:c', 'failed');
    message('r2', d1, 'did:c', 'failed');
    message('r2', d1, 'did:d', 'skipped', 'no_data_for_day');
    message('r2', d1, 'did:e', 'skipped', 'status_paused'); // not part of the day
    message('r2', d1, 'did:f', 'skipped', 'status_opted_out');
    message('r2', d1, 'did:g', 'blocked', 'email_invalid');
    message('r2', d1, 'did:h', 'sending');
    message('r2', d1, 'did:i', 'bounced');
    run('r3', d2);
    message('r3', d2, 'did:a', 'planned'); // never sent: no message outcome, still a participant
    surveys('did:a', d1, 3, 3);
    surveys('did:b', d1, 1, 3);
    surveys('did:c', d1, 0, 3);
    surveys('did:h', d1, 2, 2);
    surveys('did:e', d1, 3, 3);
    surveys('did:a', d2, 0, 3);
    surveys('did:z', d2, 3, 3); // not in the day's roster: not counted

    const data = aggregateReport(state, compliance, '2026-03-01', '2026-03-04');
    expect(data.from).toBe('2026-03-01');
    expect(data.days.map((d) => d.date)).toEqual([d1, d2]);
    expect(data.days[0]!.messages).toEqual({
      sent: 2,
      bounced: 1,
      failed: 1,
      unknown: 1,
      blocked: 1,
      skipped: 1,
      optedOut: 1,
    });
    expect(data.days[0]!.completion).toEqual({ all: 2, some: 1, none: 1, noData: 1, unreachable: 3 });
    expect(data.days[1]!.messages).toEqual({
      sent: 0,
      bounced: 0,
      failed: 0,
      unknown: 0,
      blocked: 0,
      skipped: 0,
      optedOut: 0,
    });
    expect(data.days[1]!.completion).toEqual({ all: 0, some: 0, none: 1, noData: 0, unreachable: 0 });
    expect(JSON.stringify(data)).not.toContain('did:');
    state.close();
    compliance.close();
  });

  it('leaves out days outside the range', () => {
    const { state, compliance, run, message } = setUp();
    run('r1', '2026-02-27');
    message('r1', '2026-02-27', 'did:a', 'sent');
    expect(aggregateReport(state, compliance, '2026-03-01', '2026-03-04').days).toEqual([]);
    state.close();
    compliance.close();
  });

  it('takes completion from the query row recorded with the message, the table only where there is none', () => {
    const { state, compliance, run, message, surveys } = setUp();
    const d1 = '2026-03-02';
    run('r1', d1);
    message('r1', d1, 'did:a', 'sent', null, 0); // the query said: all done
    message('r1', d1, 'did:b', 'failed', null, 1); // some
    message('r1', d1, 'did:c', 'sent', null, 3); // a row without survey columns: the table decides
    message('r1', d1, 'did:d', 'sent'); // planned before codes were recorded: the table decides
    surveys('did:a', d1, 0, 3); // the table disagrees: the e-mail's source wins
    surveys('did:b', d1, 3, 3);
    surveys('did:c', d1, 0, 2);
    surveys('did:d', d1, 2, 2);
    const { data, fromTable } = aggregateReportWithSource(state, compliance, d1, d1);
    expect(data.days[0]!.completion).toEqual({ all: 2, some: 1, none: 1, noData: 0, unreachable: 0 });
    expect(fromTable).toBe(2);

    // Every participant-day known from the ledger: the compliance DB is not read at all.
    run('r2', '2026-03-03');
    message('r2', '2026-03-03', 'did:a', 'sent', null, 2);
    compliance.exec('DROP TABLE daily_compliance');
    const known = aggregateReportWithSource(state, compliance, '2026-03-03', '2026-03-03');
    expect(known.fromTable).toBe(0);
    expect(known.data.days[0]!.completion).toEqual({ all: 0, some: 0, none: 1, noData: 0, unreachable: 0 });
    state.close();
    compliance.close();
  });

  it('reads the range page by page: every row once, in id order, rows of other dates skipped', () => {
    const { state, compliance, run, message } = setUp();
    run('r1', '2026-03-02');
    run('r0', '2026-02-27');
    // Rows in and out of the range interleave, so pages end on both kinds.
    for (let i = 0; i < 7; i++) {
      message('r1', '2026-03-02', `did:${i}`, 'sent');
      message('r0', '2026-02-27', `did:${i}`, 'sent');
    }
    for (const pageRows of [1, 2, 3, 7, 8, 100]) {
      const rows = [...messagesInRange(state, '2026-03-01', '2026-03-04', pageRows)];
      expect(
        rows.map((r) => r[1]),
        `pages of ${pageRows}`,
      ).toEqual(Array.from({ length: 7 }, (_, i) => `did:${i}`));
      const ids = rows.map((r) => r[5]);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    state.close();
    compliance.close();
  });

  it('tells blocks for a suppressed address (bounced, opted out by e-mail) apart from other validation blocks', () => {
    const { state, compliance, run, message } = setUp();
    const d1 = '2026-03-02';
    run('r1', d1);
    message('r1', d1, 'did:a', 'blocked', 'email_bouncing');
    message('r1', d1, 'did:b', 'blocked', 'email_invalid,opted_out_by_participant');
    message('r1', d1, 'did:c', 'blocked', 'email_invalid');
    message('r1', d1, 'did:d', 'blocked', 'email_suppressed'); // a withdrawn participant's address: not a suppression
    message('r1', d1, 'did:e', 'sent', null, 0);
    const { data, suppressed } = aggregateReportWithSource(state, compliance, d1, d1);
    expect(data.days[0]!.messages.blocked).toBe(4);
    expect(suppressed).toEqual([2]);
    state.close();
    compliance.close();
  });
});
