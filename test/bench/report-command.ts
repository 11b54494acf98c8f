/**
 * The whole `report --weeks 8` command on a 10,000-participant study: a compliance DB of 56 days
 * and a ledger of one run a day (560,000 messages), run as the built CLI in a fresh process.
 * Goal: under 5 s and 250 MB peak RSS. Three figures: runs planned by this version (survey
 * completion recorded in the ledger from the compliance query's row: the compliance DB is not
 * read), runs from before (the daily_compliance table stands in), and what running the built-in
 * compliance query once per day would cost instead (one day timed, times 56).
 *
 * Called from `npm run bench`, or on its own after `npm run build`:
 *   npx tsx test/bench/report-command.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateFixture } from '../../fixtures/generate.js';
import { iterateDay, loadQuery, openComplianceDb } from '../../src/compliance/db.js';
import { openStateDb } from '../../src/storage/state-db.js';
import { addDays, yesterdayIn } from '../../src/util/dates.js';
import { measuredEnv, measuredNode, peakOf } from './peak-rss.js';

type Report = (what: string, figure: string, note?: string) => void;
type Fmt = (n: number, digits?: number) => string;

const PARTICIPANTS = 10_000;
const DAYS = 56;
const CLI = resolve(import.meta.dirname, '../../dist/mail-updater.cjs');
const defaultFmt: Fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const printRow: Report = (what, figure, note = '') => console.log(`  ${what}: ${figure}${note ? `  (${note})` : ''}`);

/**
 * One run a day; most messages sent, a few failed, skipped (no data) or blocked. Messages made
 * from a compliance row carry its completion code, as planning records it.
 */
function seedLedger(path: string, dids: string[], to: string): number {
  const db = openStateDb(path);
  db.pragma('synchronous = OFF');
  const run = db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
     VALUES (?, ?, '2026-01-01T00:00:00Z', 'bench', 'done', 'h', 't', '2026-01-02T00:00:00Z', '{}')`,
  );
  const message = db.prepare(
    `INSERT INTO messages (run_id, report_date, did, state, reason, to_masked, sha256, message_id, attempts, completion, updated_at)
     VALUES (?, ?, ?, ?, ?, 'j***@example.org', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '<x@example.org>', 1, ?, '2026-01-01T00:00:00Z')`,
  );
  let rows = 0;
  for (let d = 0; d < DAYS; d++) {
    const date = addDays(to, d - DAYS + 1);
    const runId = `${date}_bench`;
    db.transaction(() => {
      run.run(runId, date);
      dids.forEach((did, i) => {
        const k = (i * 7 + d) % 100;
        const [state, reason] =
          k < 90
            ? ['sent', null]
            : k < 93
              ? ['failed', null]
              : k < 97
                ? ['skipped', 'no_data_for_day']
                : ['blocked', 'x'];
        message.run(runId, date, did, state, reason, state === 'skipped' ? null : (i + d) % 3);
        rows++;
      });
    })();
  }
  db.close();
  return rows;
}

/** The built CLI's `report --weeks 8` in a fresh process: wall and CPU time, peak RSS. */
function reportOnce(
  env: NodeJS.ProcessEnv,
  dir: string,
): { ms: number; cpuMs: number; rssMb: number; days: number; size: string } {
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    [...measuredNode(), CLI, 'report', '--weeks', '8', '--json', '--out', join(dir, 'r.png')],
    { env: measuredEnv(env), encoding: 'utf8' },
  );
  const ms = performance.now() - started;
  const peak = peakOf(child.stderr);
  if (child.status !== 0 || peak === undefined) throw new Error(`report failed (${child.status}):\n${child.stderr}`);
  const out = JSON.parse(child.stdout) as { days: unknown[]; width: number; height: number };
  return {
    ms,
    cpuMs: peak.cpuMs,
    rssMb: peak.rssMb,
    days: out.days.length,
    size: `${out.width}x${out.height}`,
  };
}

export async function benchReportCommand(report: Report = printRow, fmt: Fmt = defaultFmt): Promise<void> {
  if (!existsSync(CLI)) {
    report('report command', 'skipped', `no ${CLI}: run npm run build first`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mail-updater-bench-report-cmd-'));
  try {
    const zone = 'UTC';
    const to = yesterdayIn(zone, new Date());
    const fixture = generateFixture({ participants: PARTICIPANTS, days: DAYS, endDate: to, seed: 11, outDir: dir });
    const dids = Array.from({ length: PARTICIPANTS }, (_, i) => `P${String(i + 1).padStart(5, '0')}`);
    const statePath = join(dir, 'state.db');
    const rows = seedLedger(statePath, dids, to);
    const env = {
      ...process.env,
      COMPLIANCE_DB_PATH: fixture.dbPath,
      PARTICIPANTS_CSV_PATH: fixture.rosterPath,
      STATE_DB_PATH: statePath,
      OUTBOX_DIR: join(dir, 'outbox'),
      STUDY_TZ: zone,
      LOG_LEVEL: 'silent',
    };
    const goal = (ms: number, rssMb: number): string =>
      `${fmt(ms / 5000, 2)} of the 5 s goal, ${fmt(rssMb / 250, 2)} of the 250 MB goal`;
    const load = `load average ${fmt(loadavg()[0] ?? 0, 1)} on ${availableParallelism()} cores`;
    const size = `${fmt(PARTICIPANTS)} participants, ${fmt(rows)} ledger rows, ${fmt(fixture.rows)} compliance rows`;

    const recorded = reportOnce(env, dir);
    report(
      `report --weeks 8: ${size}, completion recorded in the ledger (whole CLI process)`,
      `${fmt(recorded.ms)} ms wall, ${fmt(recorded.cpuMs)} ms CPU, peak RSS ${fmt(recorded.rssMb)} MB`,
      `${recorded.days} days, ${recorded.size} PNG; ${goal(recorded.ms, recorded.rssMb)}; ${load}`,
    );

    const db = openStateDb(statePath);
    db.prepare('UPDATE messages SET completion = NULL').run();
    db.close();
    const older = reportOnce(env, dir);
    report(
      `report --weeks 8: same, runs from before (daily_compliance table read instead)`,
      `${fmt(older.ms)} ms wall, ${fmt(older.cpuMs)} ms CPU, peak RSS ${fmt(older.rssMb)} MB`,
      `${goal(older.ms, older.rssMb)}; ${fmt(older.ms / recorded.ms, 2)}x the recorded case`,
    );

    // The alternative not taken: the built-in query once per report day (its study-to-date part
    // makes each day cost about as much as a whole report).
    const compliance = openComplianceDb(fixture.dbPath);
    const query = loadQuery(undefined);
    const started = performance.now();
    let n = 0;
    for (const _ of iterateDay(compliance, query.sql, query.source, to)) n++;
    const perDay = performance.now() - started;
    compliance.close();
    report(
      'built-in compliance query for one day (the per-day alternative)',
      `${fmt(perDay)} ms for ${fmt(n)} rows; x ${DAYS} days = ~${fmt((perDay * DAYS) / 1000, 1)} s`,
      `${fmt((perDay * DAYS) / 5000, 1)}x the 5 s goal for 8 weeks, ${fmt((perDay * DAYS) / recorded.ms, 1)}x the recorded case`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`report command benchmark, Node ${process.version}:`);
  await benchReportCommand();
}
