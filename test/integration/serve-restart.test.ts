/**
 * Restart safety with real processes: `serve` killed with SIGKILL in the middle of an approved
 * send, then started again, finishes the send by itself; every participant gets at most one
 * message, and the request says the send was resumed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStateDb } from '../../src/storage/state-db.js';
import { smtpEnv } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { APPROVER_A, CHANNEL, SIGNING_SECRET, slackEnv } from '../support/slack-bot.js';
import { SlackDriver } from '../support/slack-driver.js';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace, runCli } from '../support/workspace.js';

const study = useTestResources();
let slack: SlackStandIn | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

function startServe(env: Record<string, string | undefined>) {
  let stderr = '';
  const child = runCli(['serve'], env, { onStderr: (t) => (stderr += t) });
  return { child, stderr: () => stderr };
}

describe('serve restart', () => {
  it('kill -9 mid-send, restart: the approved run is resumed and finished, nobody gets two messages', async () => {
    study.sink = await startSmtpSink({ acceptDelayMs: 60 });
    study.ws = makeWorkspace({ participants: 60 });
    slack = await startSlackStandIn();
    const env = {
      ...study.ws.env,
      ...smtpEnv(study.sink.port),
      ...slackEnv(slack.apiUrl),
      SMTP_MAX_CONNECTIONS: '2',
      LOG_LEVEL: 'info',
    };
    const first = startServe(env);
    let second: ReturnType<typeof startServe> | undefined;
    try {
      const port = Number(
        await slack.waitFor(() => /HTTP on 127\.0\.0\.1:(\d+)/.exec(first.stderr())?.[1], 20_000, 'the bot to listen'),
      );
      const driver = new SlackDriver(`http://127.0.0.1:${port}`, SIGNING_SECRET, slack.url, CHANNEL);
      await driver.command('/mail-dry-run', 'U0OPERATOR');
      const request = await slack.waitFor(
        () => slack!.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.blocks).includes('approve_run')),
        30_000,
        'the request',
      );
      const db = openStateDb(study.ws.env.STATE_DB_PATH!);
      expect(request.args.channel).toBe(CHANNEL);
      const run = await slack.waitFor(
        () =>
          db.prepare("SELECT id, slack_ts FROM runs WHERE state = 'planned' AND slack_ts IS NOT NULL").get() as
            | { id: string; slack_ts: string }
            | undefined,
        10_000,
        'the request to be recorded',
      );
      const planned = (
        db.prepare("SELECT COUNT(*) AS n FROM messages WHERE run_id = ? AND state = 'planned'").get(run.id) as {
          n: number;
        }
      ).n;
      await driver.click('approve_run', run.id, APPROVER_A, run.slack_ts);
      await slack.waitFor(() => study.sink!.count >= 5, 20_000, 'the first messages');
      first.child.kill('SIGKILL');
      await first.child.done;
      const sentBeforeKill = study.sink.count;
      expect(sentBeforeKill).toBeLessThan(planned);

      second = startServe(env);
      await slack.waitFor(
        () => (db.prepare('SELECT state FROM runs WHERE id = ?').get(run.id) as { state: string }).state === 'done',
        40_000,
        'the restarted bot to finish the run',
      );
      const byState = Object.fromEntries(
        (
          db.prepare('SELECT state, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY state').all(run.id) as {
            state: string;
            n: number;
          }[]
        ).map((r) => [r.state, r.n]),
      );
      // Messages in flight at the kill are "unknown" (never re-sent on their own); all others sent.
      expect((byState.sent ?? 0) + (byState.unknown ?? 0)).toBe(planned);
      expect([...study.sink.deliveries.values()].every((n) => n === 1)).toBe(true);
      expect(study.sink.count).toBeGreaterThanOrEqual(byState.sent ?? 0);
      expect(study.sink.count).toBeLessThanOrEqual(planned);
      await slack.waitFor(
        () =>
          slack!
            .callsOf('chat.update')
            .some(
              (c) => c.args.ts === run.slack_ts && JSON.stringify(c.args.blocks).includes('resumed after a restart'),
            ),
        20_000,
        'the request to say it resumed',
      );
      const audit = db.prepare("SELECT actor FROM audit WHERE run_id = ? AND action = 'send_resumed'").all(run.id);
      expect(audit).toHaveLength(1);
      db.close();
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.child.done;
    }
  }, 120_000);
});
