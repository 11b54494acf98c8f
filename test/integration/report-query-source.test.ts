/**
 * A study with its own compliance query (COMPLIANCE_QUERY_PATH) sees in `report` and in the
 * onboarding reminder what its e-mails were made from, not the daily_compliance table: here a
 * query that counts every expected survey as done and leaves one participant out. Where the
 * ledger has no recorded row (runs planned before it was recorded), the report says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { report } from '../../commands/report.js';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import { builtInQueryPath } from '../../src/compliance/db.js';
import type { Env } from '../../src/config.js';
import { readRosterFile } from '../../src/roster/read.js';
import { addDays } from '../../src/util/dates.js';
import { overdueOnboarding } from '../../src/validation/onboarding.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

interface ReportJson {
  days: {
    date: string;
    messages: Record<string, number>;
    completion: Record<'all' | 'some' | 'none' | 'noData', number>;
  }[];
  notes: string[];
}

async function run<O>(spec: Parameters<typeof execute<O, unknown>>[0], env: Env, options: O) {
  const t = testContext(study.ws, env);
  try {
    return (await execute(spec, t.ctx, options)) as unknown as { exitCode: number; json: unknown };
  } finally {
    t.close();
  }
}

describe('report and onboarding with a custom compliance query', () => {
  it('count what the e-mails were made from; a participant-day without it is named in a note', async () => {
    study.ws = makeWorkspace({ participants: 20 });
    const day = study.ws.reportDate;
    const compliance = new Database(study.ws.fixture.dbPath, { readonly: true });
    const withData = new Set(
      compliance.prepare('SELECT did FROM daily_compliance WHERE day = ?').pluck(true).all(day) as string[],
    );
    const tableIncomplete = compliance
      .prepare('SELECT COUNT(*) FROM daily_compliance WHERE day = ? AND surveys_completed < surveys_expected')
      .pluck(true)
      .get(day) as number;
    compliance.close();
    expect(tableIncomplete).toBeGreaterThan(0);
    const active = [...readRosterFile(study.ws.fixture.rosterPath).rows].filter(
      (r) => r.status === 'active' && withData.has(r.did),
    );
    const left = active[0]!.did;

    // The built-in query, changed as a study might: every expected survey counts as done, one DID left out.
    const builtIn = readFileSync(builtInQueryPath(), 'utf8');
    const custom = builtIn
      .replace('  WHERE day = :day\n', `  WHERE day = :day AND did <> '${left}'\n`)
      .replace('       t.surveys_completed,', '       t.surveys_expected AS surveys_completed,');
    expect(custom).not.toBe(builtIn);
    const queryPath = join(study.ws.dir, 'custom.sql');
    writeFileSync(queryPath, custom);
    study.sink = await startSmtpSink();
    const env = { ...smtpEnv(study.sink.port), COMPLIANCE_QUERY_PATH: queryPath };
    const send = { reportDate: day, yes: true, resendUnknown: 'none' as const };
    await run(sendDaily, env, { ...send, dryRun: true });
    await run(sendDaily, env, { ...send, dryRun: false });
    expect(study.sink.count).toBe(active.length - 1);

    const picture = (await run(report, env, { days: 7 })).json as ReportJson;
    const today = picture.days.find((d) => d.date === day)!;
    expect(today.messages.sent).toBe(active.length - 1);
    // The query says everyone who got an e-mail did all; the table would have said otherwise.
    expect(today.completion).toMatchObject({ all: active.length - 1, some: 0, none: 0 });
    expect(today.completion.noData).toBeGreaterThanOrEqual(1);
    expect(picture.notes).toEqual([]);

    // Onboarding: everyone first seen a week ago; only the DID the query leaves out has no data.
    const t = testContext(study.ws, env);
    try {
      const db = t.db();
      db.prepare('UPDATE participants_seen SET first_seen = ?').run(addDays(day, -6));
      const overdue = overdueOnboarding(db, t.ctx.config, new Date()).map((o) => o.did);
      expect(overdue).toContain(left);
      expect(overdue.filter((did) => withData.has(did))).toEqual([left]);
      // The built-in query has a row for it: not overdue there.
      const builtInConfig = testContext(study.ws, smtpEnv(study.sink.port)).ctx.config;
      expect(overdueOnboarding(db, builtInConfig, new Date()).map((o) => o.did)).not.toContain(left);

      // A run planned before the row was recorded: the table stands in, and the report says so.
      db.prepare('UPDATE messages SET completion = NULL').run();
    } finally {
      t.close();
    }
    const older = (await run(report, env, { days: 7 })).json as ReportJson;
    expect(older.notes).toHaveLength(1);
    expect(older.notes[0]).toContain(`${active.length - 1} participant-day(s)`);
    expect(older.notes[0]).toContain('COMPLIANCE_QUERY_PATH');
    const fallback = older.days.find((d) => d.date === day)!;
    expect(fallback.completion.some + fallback.completion.none).toBeGreaterThan(0);
    // The built-in query's study gets no note: the table is the same thing there.
    const plain = (await run(report, smtpEnv(study.sink.port), { days: 7 })).json as ReportJson;
    expect(plain.notes).toEqual([]);
  }, 120_000);
});
