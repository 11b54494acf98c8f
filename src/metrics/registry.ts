/**
 * `GET /metrics`: Prometheus text format (prom-client), one registry per bot. The ledger's numbers
 * are read from the state DB at scrape time, so they survive a restart and equal `status --json`;
 * only Slack API calls are counted in memory. Every label comes from a fixed list: no DID, name
 * or address can become a label value.
 */
import { statSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { ROSTER_STATUSES, readRosterFile } from '../roster/read.js';
import { lastHealthOk, readHealth } from '../storage/health.js';
import { messageCounts } from '../storage/messages.js';
import {
  pendingApprovals,
  runLedgerSummary,
  runSendDurations,
  runsByState,
  runsForTotals,
} from '../storage/metrics.js';
import { currentRun } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { localDateTime, yesterdayIn } from '../util/dates.js';

/** Outcomes of a message, in the ledger's words. `sent` counts every message the relay accepted. */
export const MESSAGE_OUTCOMES = ['sent', 'failed', 'bounced', 'unknown', 'skipped', 'blocked'] as const;
const LEDGER_STATES = ['planned', 'sending', ...MESSAGE_OUTCOMES] as const;
const RUN_STATES = ['planning', 'planned', 'blocked', 'sending', 'paused', 'done', 'superseded', 'rejected'] as const;
/** Web API methods the bot calls; any other is counted as "other" (the label set stays bounded). */
export const SLACK_METHODS = [
  'auth.test',
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'views.publish',
  'views.open',
  'files.uploadV2',
  'files.getUploadURLExternal',
  'files.completeUploadExternal',
  'conversations.info',
  'users.info',
] as const;

export interface MetricsDeps {
  config: Config;
  db: StateDb;
  now: () => Date;
}

export interface BotMetrics {
  registry: Registry;
  /** Counts one Web API call by method and outcome. */
  slackCall(method: string, ok: boolean): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

const seconds = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
};

/** Roster status counts, re-read only when the file changes (a roster can be 100,000 rows). */
function rosterStatusReader(path: string): () => Map<string, number> {
  let cached: { key: string; counts: Map<string, number> } | undefined;
  return () => {
    const stat = statSync(path);
    const key = `${stat.mtimeMs}:${stat.size}`;
    if (cached?.key !== key) {
      const counts = new Map<string, number>();
      for (const row of readRosterFile(path).rows) {
        const status = (ROSTER_STATUSES as readonly string[]).includes(row.status) ? row.status : 'other';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      cached = { key, counts };
    }
    return cached.counts;
  };
}

/** A finished run's counts change only by a bounce: re-read this often. */
const FINISHED_REFRESH_MS = 10 * 60_000;
/** A finished run this old no longer changes (bounces come within hours): read once per process. */
const SETTLED_AFTER_MS = 3 * 86_400_000;

type Totals = { byState: Map<string, number>; lastSentAt: string | undefined };

/**
 * The ledger's totals over every run, and the last time the relay accepted a message. A scrape
 * reads only the runs in progress (one range of the (run_id, did) index each); finished ones come
 * from a cache, so a year of 100,000-participant runs does not block the event loop.
 */
function ledgerTotals(db: StateDb, now: () => Date): { read: () => Totals; newScrape: () => void } {
  const cache = new Map<string, { summary: ReturnType<typeof runLedgerSummary>; until: number }>();
  let last: { at: number; totals: Totals } | undefined;
  const newScrape = (): void => {
    last = undefined;
  };
  const read = (): Totals => {
    // The cache's clock is the process's own (monotonic); the study's clock (now, which tests
    // may stop) only decides which runs are old.
    const at = performance.now();
    // The series of one scrape share one read (render() starts each scrape afresh).
    if (last !== undefined) return last.totals;
    const byState = new Map<string, number>();
    let lastSentAt: string | undefined;
    for (const run of runsForTotals(db, new Date(now().getTime() - SETTLED_AFTER_MS).toISOString())) {
      const cached = cache.get(run.id);
      let summary = cached !== undefined && cached.until > at ? cached.summary : undefined;
      if (summary === undefined) {
        summary = runLedgerSummary(db, run.id);
        if (run.finished)
          cache.set(run.id, { summary, until: run.old ? Number.POSITIVE_INFINITY : at + FINISHED_REFRESH_MS });
      }
      for (const [state, n] of summary.counts) byState.set(state, (byState.get(state) ?? 0) + n);
      if (summary.lastSentAt !== undefined && (lastSentAt === undefined || summary.lastSentAt > lastSentAt))
        lastSentAt = summary.lastSentAt;
    }
    last = { at, totals: { byState, lastSentAt } };
    return last.totals;
  };
  return { read, newScrape };
}

export function createMetrics({ config, db, now }: MetricsDeps): BotMetrics {
  const ledger = ledgerTotals(db, now);
  const totals = ledger.read;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Counter({
    name: 'mail_updater_messages_total',
    help: 'Messages of all runs by outcome, from the ledger (sent = accepted by the relay, bounced or not).',
    labelNames: ['outcome'],
    registers,
    collect() {
      const { byState } = totals();
      this.reset();
      for (const outcome of MESSAGE_OUTCOMES) {
        const n = (byState.get(outcome) ?? 0) + (outcome === 'sent' ? (byState.get('bounced') ?? 0) : 0);
        this.inc({ outcome }, n);
      }
    },
  });
  new Gauge({
    name: 'mail_updater_report_messages',
    help: "Messages of the current run for yesterday's report date by ledger state (as status --json run.counts).",
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const run = currentRun(db, yesterdayIn(config.STUDY_TZ, now()));
      const counts: Record<string, number> = run === undefined ? {} : messageCounts(db, run.id);
      for (const state of LEDGER_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'mail_updater_runs',
    help: 'Runs by state, from the ledger.',
    labelNames: ['state'],
    registers,
    collect() {
      const byState = runsByState(db);
      this.reset();
      for (const state of RUN_STATES) this.set({ state }, byState.get(state) ?? 0);
    },
  });
  const slackCalls = new Counter({
    name: 'mail_updater_slack_api_calls_total',
    help: 'Slack Web API calls by method and outcome (ok, error) since the bot started.',
    labelNames: ['method', 'outcome'],
    registers,
  });
  const slackErrors = new Counter({
    name: 'mail_updater_slack_api_errors_total',
    help: 'Slack Web API calls that failed, by method, since the bot started.',
    labelNames: ['method'],
    registers,
  });
  new Gauge({
    name: 'mail_updater_last_send_timestamp_seconds',
    help: 'When the relay last accepted a message that has not bounced since (0: never).',
    registers,
    collect() {
      this.set(seconds(totals().lastSentAt) ?? 0);
    },
  });
  new Gauge({
    name: 'mail_updater_last_qualtrics_sync_success_timestamp_seconds',
    help: 'When the Qualtrics enrolment sync last succeeded (0: never).',
    registers,
    collect() {
      const latest = readHealth(db, 'qualtrics_sync');
      const ok = lastHealthOk(db, 'qualtrics_sync') ?? (latest?.ok ? latest.at : undefined);
      this.set(seconds(ok) ?? 0);
    },
  });
  new Gauge({
    name: 'mail_updater_pending_approvals',
    help: 'Approval requests waiting for a decision (not expired).',
    registers,
    collect() {
      this.set(pendingApprovals(db, now()).count);
    },
  });
  new Gauge({
    name: 'mail_updater_pending_approval_age_seconds',
    help: 'Age of the oldest approval request waiting for a decision (0: none).',
    registers,
    collect() {
      const oldest = seconds(pendingApprovals(db, now()).oldest);
      this.set(oldest === undefined ? 0 : Math.max(0, now().getTime() / 1000 - oldest));
    },
  });
  const expires = config.SMTP_CREDENTIAL_EXPIRES_AT;
  if (expires !== undefined)
    new Gauge({
      name: 'mail_updater_smtp_credential_expiry_days',
      help: 'Days until the SMTP credential expires (SMTP_CREDENTIAL_EXPIRES_AT; negative: expired).',
      registers,
      collect() {
        const today = localDateTime(now(), config.STUDY_TZ).date;
        this.set(Math.round((Date.parse(`${expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000));
      },
    });
  new Gauge({
    name: 'mail_updater_smtp_check_ok',
    help: 'Result of the last SMTP check (1 ok, 0 failing; absent: never checked).',
    registers,
    collect() {
      this.reset();
      const smtp = readHealth(db, 'smtp');
      if (smtp !== null) this.set(smtp.ok ? 1 : 0);
    },
  });
  const roster = rosterStatusReader(config.PARTICIPANTS_CSV_PATH);
  new Gauge({
    name: 'mail_updater_participants',
    help: 'Participants in the roster by status (other: a status the roster rules reject).',
    labelNames: ['status'],
    registers,
    collect() {
      this.reset();
      let counts: Map<string, number>;
      try {
        counts = roster();
      } catch {
        return; // No readable roster: no samples rather than a failed scrape.
      }
      for (const status of [...ROSTER_STATUSES, 'other']) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  new Histogram({
    name: 'mail_updater_run_send_duration_seconds',
    help: 'Approval-to-finish time of finished runs, from the ledger.',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers,
    collect() {
      this.reset();
      for (const s of runSendDurations(db)) this.observe(s);
    },
  });

  return {
    registry,
    slackCall(method, ok) {
      const known = (SLACK_METHODS as readonly string[]).includes(method) ? method : 'other';
      slackCalls.inc({ method: known, outcome: ok ? 'ok' : 'error' });
      if (!ok) slackErrors.inc({ method: known });
    },
    async render() {
      ledger.newScrape();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
