/**
 * /metrics counters never go down: a message that failed or whose outcome was unknown, sent again
 * later, is counted in sent as well, and failed/unknown stay where they were. The send-duration
 * histogram has one observation per run (first message to last outcome), not one per message,
 * and a later resend does not move it. Every scrape passes Prometheus' own parser.
 */
import { describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { createMetrics, MESSAGE_OUTCOMES } from '../../src/metrics/registry.js';
import { readRosterFile } from '../../src/roster/read.js';
import type { ResendUnknown } from '../../src/storage/send-ledger.js';
import { smtpEnv, testContext } from '../support/context.js';
import { parseExposition, parserMissing, type Sample, value } from '../support/exposition.js';
import { useTestResources } from '../support/resources.js';
import { type Behaviour, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

async function sendDailyIn(env: Env, options: { dryRun?: boolean; resendUnknown?: ResendUnknown } = {}) {
  const t = testContext(study.ws, env);
  try {
    return (await execute(sendDaily, t.ctx, {
      reportDate: study.ws.reportDate,
      dryRun: options.dryRun ?? false,
      yes: true,
      resendUnknown: options.resendUnknown ?? 'none',
    })) as { exitCode: number; json: { counts: Record<string, number> } };
  } finally {
    t.close();
  }
}

/** A scrape as a fresh process would make it (the bot restarted in between: nothing in memory). */
async function scrape(env: Env): Promise<Sample[]> {
  const t = testContext(study.ws, env);
  try {
    const metrics = createMetrics({ config: t.ctx.config, db: t.db(), now: () => new Date() });
    return parseExposition((await metrics.render()).body);
  } finally {
    t.close();
  }
}

const totals = (samples: Sample[]): Record<string, number> =>
  Object.fromEntries(MESSAGE_OUTCOMES.map((o) => [o, value(samples, 'mail_updater_messages_total', { outcome: o })!]));

function runRow(env: Env): { state: string; first_send_at: string; last_send_at: string; decided_at: string } {
  const t = testContext(study.ws, env);
  try {
    return t
      .db()
      .prepare('SELECT state, first_send_at, last_send_at, decided_at FROM runs WHERE state <> ?')
      .get('superseded') as ReturnType<typeof runRow>;
  } finally {
    t.close();
  }
}

describe('mail_updater_messages_total', () => {
  it.skipIf(parserMissing !== undefined)(
    'never decreases when failed and unknown messages are sent again; the duration histogram is per run',
    async () => {
      study.ws = makeWorkspace({ participants: 20 });
      await sendDailyIn({}, { dryRun: true });
      const t = testContext(study.ws);
      const planned = t.db().prepare("SELECT did FROM messages WHERE state = 'planned'").pluck(true).all() as string[];
      t.close();
      const emails = new Map(
        [...readRosterFile(study.ws.fixture.rosterPath).rows].map((r) => [r.did, (r.email ?? '').toLowerCase()]),
      );
      const [deferredTo, droppedTo] = [emails.get(planned[0]!)!, emails.get(planned[1]!)!];
      let broken = true;
      study.sink = await startSmtpSink({
        behaviour: (to): Behaviour =>
          !broken
            ? { kind: 'accept' }
            : to === deferredTo
              ? { kind: 'reject', code: 451, message: '4.3.0 try again later' }
              : to === droppedTo
                ? { kind: 'drop-after-data' }
                : { kind: 'accept' },
      });
      const env = { ...smtpEnv(study.sink.port), SEND_RETRY_BACKOFF_MS: '0', SEND_MAX_ATTEMPTS: '1' };
      await sendDailyIn(env, { dryRun: true });

      const first = await sendDailyIn(env);
      expect(first.json.counts).toMatchObject({ failed: 1, unknown: 1 });
      const before = totals(await scrape(env));
      expect(before).toMatchObject({ failed: 1, unknown: 1, sent: planned.length - 2 });

      broken = false;
      // The retry of the temporary failure (failed → planned → sent), then the unknown one resent.
      await sendDailyIn(env);
      const middle = totals(await scrape(env));
      const resend = await sendDailyIn(env, { resendUnknown: 'all' });
      expect(resend.exitCode).toBe(0);
      expect(resend.json.counts).toMatchObject({ failed: 0, unknown: 0, sent: planned.length });
      const afterSamples = await scrape(env);
      const after = totals(afterSamples);

      for (const [a, b] of [
        [before, middle],
        [middle, after],
      ] as const)
        for (const outcome of MESSAGE_OUTCOMES) expect(b[outcome], outcome).toBeGreaterThanOrEqual(a[outcome]!);
      // The ledger now says 0 failed and 0 unknown; the counters still remember both events.
      expect(after).toMatchObject({ failed: 1, unknown: 1, sent: planned.length });
      expect(study.sink.count).toBe(planned.length);

      // One run, one observation: the first claim to the last outcome, not approval to finish.
      const run = runRow(env);
      expect(run.state).toBe('done');
      expect(value(afterSamples, 'mail_updater_run_send_duration_seconds_count')).toBe(1);
      const seconds = value(afterSamples, 'mail_updater_run_send_duration_seconds_sum')!;
      expect(run.first_send_at >= run.decided_at).toBe(true);
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThanOrEqual(
        (Date.parse(run.last_send_at) - Date.parse(run.first_send_at)) / 1000 + 0.001,
      );
    },
    120_000,
  );
});
