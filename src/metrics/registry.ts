/**
 * `GET /metrics`: Prometheus text format (prom-client), one registry per bot. The ledger's numbers
 * are read from the state DB at scrape time, so they survive a restart: the message counters from
 * message_outcomes (kept by triggers, never lowered), the current run's states as gauges equal to
 * `status --json`. Only Slack API calls are counted in memory. Every label comes from a fixed list: no DID, name
 * or address can become a label value.
 */
import { statSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { ROSTER_STATUSES, readRosterFile } from '../roster/read.js';
import { lastHealthOk, readHealth } from '../storage/health.js';
import { messageCounts } from '../storage/messages.js';
import { messageOutcomeTotals, pendingApprovals, runSendDurations, runsByState } from '../storage/metrics.js';
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
      const { rows } = readRosterFile(path);
      try {
        for (const row of rows) {
          const status = (ROSTER_STATUSES as readonly string[]).includes(row.status) ? row.status : 'other';
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
      } finally {
        rows.close();
      }
      cached = { key, counts };
    }
    return cached.counts;
  };
}

export function createMetrics({ config, db, now }: MetricsDeps): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Counter({
    name: 'mail_updater_messages_total',
    help:
      'Times a message reached each outcome, from the ledger since the state DB was created; never decreases. ' +
      'A message counts once per outcome it reaches: one failed or unknown and later resent counts in failed (or unknown) and in sent; ' +
      'sent = accepted by the relay, bounced or not (a bounce also counts in bounced). After one clean run these equal status --json run.counts.',
    labelNames: ['outcome'],
    registers,
    collect() {
      const totals = messageOutcomeTotals(db);
      this.reset();
      for (const outcome of MESSAGE_OUTCOMES) this.inc({ outcome }, totals.get(outcome)?.n ?? 0);
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
    help: 'When the relay last accepted a message (0: never), from the ledger.',
    registers,
    collect() {
      this.set(seconds(messageOutcomeTotals(db).get('sent')?.at) ?? 0);
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
    help:
      "One observation per finished run: its send from the first message handed to the relay to the last message's outcome " +
      '(pauses included), in seconds, fixed when the run first finished. From the ledger.',
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
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
