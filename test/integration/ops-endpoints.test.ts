/**
 * GET /metrics and GET /healthz on the bot's own listener: numbers read from the ledger equal
 * `status --json` after a real send, the text passes Prometheus' own parser, no participant
 * shows up in it; /healthz turns 503 when the state DB cannot be written or Slack keeps failing.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readRosterFile } from '../../src/roster/read.js';
import { smtpEnv } from '../support/context.js';
import { parseExposition, parserMissing, value } from '../support/exposition.js';
import { useTestResources } from '../support/resources.js';
import { APPROVER_A, APPROVER_B, type BotHarness, startBot } from '../support/slack-bot.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { cli, makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

async function get(bot: BotHarness, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${bot.port}${path}`);
  return { status: res.status, text: await res.text() };
}

/** Polls /healthz until `until` holds (30 s at most). */
async function pollHealth(
  bot: BotHarness,
  until: (res: { status: number; text: string }) => boolean,
): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await get(bot, '/healthz');
    if (until(res)) return res;
    if (Date.now() > deadline) throw new Error(`/healthz never reached the expected state; last: ${res.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function botWithSink(env: Record<string, string> = {}, now?: () => Date): Promise<BotHarness> {
  study.sink = await startSmtpSink();
  study.ws = makeWorkspace({ participants: 40 });
  const bot = await startBot(study.ws, { ...smtpEnv(study.sink.port), ...env }, now ? { now } : {});
  bots.push(bot);
  return bot;
}

describe('GET /metrics', () => {
  it.skipIf(parserMissing !== undefined)(
    'after a real send: parses, equals status --json, and names no participant',
    async () => {
      const bot = await botWithSink({ SMTP_CREDENTIAL_EXPIRES_AT: '2099-12-31' });
      const started = Date.now() / 1000;
      const { runId, ts } = await bot.dryRun(APPROVER_A);

      const pending = parseExposition((await get(bot, '/metrics')).text);
      expect(value(pending, 'mail_updater_pending_approvals')).toBe(1);
      expect(value(pending, 'mail_updater_runs', { state: 'planned' })).toBe(1);
      expect(value(pending, 'mail_updater_last_send_timestamp_seconds')).toBe(0);

      await bot.approveAndWait(runId, ts, APPROVER_B);
      const scrape = await get(bot, '/metrics');
      expect(scrape.status).toBe(200);
      const samples = parseExposition(scrape.text);

      const status = await cli(['status', '--json'], study.ws.env);
      expect(status.stderr).toBe('');
      const counts = (JSON.parse(status.stdout) as { run: { id: string; counts: Record<string, number> } }).run;
      expect(counts.id).toBe(runId);
      expect(counts.counts.sent).toBeGreaterThan(0);
      expect(counts.counts.sent).toBe(study.sink!.count);
      for (const [state, n] of Object.entries(counts.counts))
        expect(value(samples, 'mail_updater_report_messages', { state }), state).toBe(n);
      // One run so far: the all-time counters are that run's counts.
      for (const outcome of ['sent', 'failed', 'unknown', 'skipped', 'blocked'])
        expect(value(samples, 'mail_updater_messages_total', { outcome }), outcome).toBe(counts.counts[outcome]);
      expect(value(samples, 'mail_updater_messages_total', { outcome: 'bounced' })).toBe(0);
      expect(value(samples, 'mail_updater_runs', { state: 'done' })).toBe(1);
      expect(value(samples, 'mail_updater_pending_approvals')).toBe(0);
      expect(value(samples, 'mail_updater_pending_approval_age_seconds')).toBe(0);
      expect(value(samples, 'mail_updater_run_send_duration_seconds_count')).toBe(1);

      const lastSend = value(samples, 'mail_updater_last_send_timestamp_seconds')!;
      expect(lastSend).toBeGreaterThanOrEqual(Math.floor(started));
      expect(lastSend).toBeLessThanOrEqual(Date.now() / 1000);
      expect(value(samples, 'mail_updater_smtp_credential_expiry_days')).toBeGreaterThan(20_000);

      const roster = [...readRosterFile(study.ws.env.PARTICIPANTS_CSV_PATH!).rows];
      for (const status of ['active', 'paused', 'withdrawn', 'opted_out'])
        expect(value(samples, 'mail_updater_participants', { status }), status).toBe(
          roster.filter((r) => r.status === status).length,
        );

      const posts = bot.slack.callsOf('chat.postMessage').length + bot.slack.callsOf('chat.update').length;
      const counted =
        (value(samples, 'mail_updater_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok' }) ?? 0) +
        (value(samples, 'mail_updater_slack_api_calls_total', { method: 'chat.update', outcome: 'ok' }) ?? 0);
      expect(counted).toBeGreaterThan(0);
      expect(counted).toBeLessThanOrEqual(posts);

      // No DID, address or name anywhere in the scrape.
      for (const row of roster) {
        for (const value of [row.did, row.email, row.firstName, row.lastName])
          if (value !== undefined && value.length >= 3) expect(scrape.text).not.toContain(value);
      }
      expect(scrape.text).not.toMatch(/@/);
    },
    120_000,
  );
});

describe('GET /healthz', () => {
  it('is 200 with every check when healthy, 503 while the state DB cannot be written', async () => {
    const bot = await botWithSink();
    const healthy = await get(bot, '/healthz');
    expect(healthy.status).toBe(200);
    const report = JSON.parse(healthy.text);
    expect(report).toMatchObject({ ok: true, checks: { state_db: { ok: true, writable: true }, slack: { ok: true } } });
    expect(Object.keys(report.checks)).toEqual(['state_db', 'scheduler', 'slack', 'smtp', 'stopping']);

    // Read-only: every write on the bot's connection is refused.
    bot.db.pragma('query_only = ON');
    const readOnly = await get(bot, '/healthz');
    expect(readOnly.status).toBe(503);
    expect(JSON.parse(readOnly.text).checks.state_db).toMatchObject({ ok: false, writable: false });
    bot.db.pragma('query_only = OFF');
    expect((await get(bot, '/healthz')).status).toBe(200);

    // Another process holding the write lock: the probe gives up after its short busy timeout.
    const other = new Database(study.ws.env.STATE_DB_PATH!);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const startedAt = Date.now();
      const locked = await get(bot, '/healthz');
      expect(locked.status).toBe(503);
      expect(JSON.parse(locked.text).checks.state_db.error).toMatch(/locked|busy/i);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect((await get(bot, '/healthz')).status).toBe(200);
  });

  it('is 503 once Slack has been failing for longer than HEALTH_SLACK_FAILING_MINUTES', async () => {
    const bot = await botWithSink({ HEALTH_SLACK_FAILING_MINUTES: '0' });
    bot.slack.failWith('chat.postMessage', 'fatal_error', 1000);
    expect((await get(bot, '/healthz')).status).toBe(200);
    await bot.driver.command('/mail-dry-run', APPROVER_A);
    const failing = await pollHealth(bot, (res) => res.status === 503);
    expect(JSON.parse(failing.text).checks.slack).toMatchObject({
      ok: false,
      last_call: { ok: false, method: 'chat.postMessage' },
      last_error: 'fatal_error',
    });
    const samples = (await get(bot, '/metrics')).text;
    expect(samples).toMatch(/^mail_updater_slack_api_errors_total\{method="chat.postMessage"\} [1-9]/m);
  });

  it('stays 200 while Slack has failed for less than HEALTH_SLACK_FAILING_MINUTES', async () => {
    const bot = await botWithSink();
    bot.slack.failWith('chat.postMessage', 'fatal_error', 1000);
    await bot.driver.command('/mail-dry-run', APPROVER_A);
    const res = await pollHealth(bot, (r) => JSON.parse(r.text).checks.slack.last_call?.ok === false);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).checks.slack).toMatchObject({ ok: true, last_call: { ok: false } });
  });

  it('is 503 naming the scheduler once it has not ticked for 5 minutes, and 200 again after a tick', async () => {
    let clock = Date.parse('2026-06-01T10:00:00Z');
    const bot = await botWithSink({}, () => new Date(clock));
    // What serve does: the scheduler starts, and its heartbeat task calls schedulerTick every minute.
    bot.app.health.schedulerStarted();
    clock += 60_000;
    bot.app.health.schedulerTick();
    const ticking = await get(bot, '/healthz');
    expect(ticking.status).toBe(200);
    expect(JSON.parse(ticking.text)).toMatchObject({
      ok: true,
      failing: [],
      checks: { scheduler: { ok: true, running: true, last_tick_at: '2026-06-01T10:01:00.000Z' } },
    });

    // The heartbeat stops (a blocked event loop, a dead cron task): 5 minutes are allowed, not more.
    clock += 5 * 60_000;
    expect((await get(bot, '/healthz')).status).toBe(200);
    clock += 1_000;
    const stalled = await get(bot, '/healthz');
    expect(stalled.status).toBe(503);
    expect(JSON.parse(stalled.text)).toMatchObject({
      ok: false,
      failing: ['scheduler'],
      checks: {
        scheduler: { ok: false, critical: true, last_tick_at: '2026-06-01T10:01:00.000Z', stall_after_s: 300 },
        state_db: { ok: true },
        slack: { ok: true },
      },
    });

    bot.app.health.schedulerTick();
    const recovered = await get(bot, '/healthz');
    expect(recovered.status).toBe(200);
    expect(JSON.parse(recovered.text)).toMatchObject({ ok: true, failing: [], checks: { scheduler: { ok: true } } });
  });
});
