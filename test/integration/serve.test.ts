/**
 * `serve` as operators run it: the built CLI in a child process, talking to the Slack stand-in
 * and the SMTP sink. The schedule fires, approval sends, SIGTERM stops cleanly.
 */
import { hostname } from 'node:os';
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

describe('serve', () => {
  it('posts the scheduled request, serves /healthz, sends on approval, and exits 0 on SIGTERM with the ledger consistent', async () => {
    study.sink = await startSmtpSink({ acceptDelayMs: 40 });
    study.ws = makeWorkspace({ participants: 60 });
    slack = await startSlackStandIn();
    let stderr = '';
    const child = runCli(
      ['serve'],
      {
        ...study.ws.env,
        ...smtpEnv(study.sink.port),
        ...slackEnv(slack.apiUrl),
        SCHEDULE_DAILY_CRON: '* * * * * *',
        SMTP_MAX_CONNECTIONS: '1',
        LOG_LEVEL: 'info',
      },
      { onStderr: (t) => (stderr += t) },
    );
    try {
      const port = Number(
        await slack.waitFor(() => /HTTP on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1], 20_000, 'the bot to listen'),
      );
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });

      // The every-second schedule posts one request, not one per tick.
      const request = await slack.waitFor(
        () => slack!.callsOf('chat.postMessage').find((c) => JSON.stringify(c.args.blocks).includes('approve_run')),
        30_000,
        'the scheduled request',
      );
      expect(request.args.channel).toBe(CHANNEL);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(
        slack.callsOf('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes('approve_run')),
      ).toHaveLength(1);

      const db = openStateDb(study.ws.env.STATE_DB_PATH!);
      const run = db.prepare("SELECT id, slack_ts FROM runs WHERE state = 'planned'").get() as {
        id: string;
        slack_ts: string;
      };
      const driver = new SlackDriver(`http://127.0.0.1:${port}`, SIGNING_SECRET, slack.url, CHANNEL);
      const click = await driver.click('approve_run', run.id, APPROVER_A, run.slack_ts);
      expect(click.status).toBe(200);
      await slack.waitFor(() => study.sink!.count >= 3, 20_000, 'the first messages');

      child.kill('SIGTERM');
      const result = await child.done;
      expect(result.code).toBe(0);
      expect(stderr).toContain('SIGTERM');
      const counts = db
        .prepare('SELECT state, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY state')
        .all(run.id) as { state: string; n: number }[];
      const byState = Object.fromEntries(counts.map((c) => [c.state, c.n]));
      // Stopped mid-send: nothing left "sending", every message accepted by the sink is "sent", the rest still planned.
      expect(byState.sending).toBeUndefined();
      expect(byState.unknown).toBeUndefined();
      expect(byState.sent).toBe(study.sink.count);
      expect(byState.planned).toBeGreaterThan(0);
      expect((db.prepare('SELECT state FROM runs WHERE id = ?').get(run.id) as { state: string }).state).toBe('paused');
      expect(db.prepare('SELECT COUNT(*) AS n FROM locks').get()).toEqual({ n: 0 });
      db.close();
      // The request says it stopped, and how to continue.
      expect(slack.callsOf('chat.update').some((c) => JSON.stringify(c.args.blocks).includes('Stopped'))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a second serve on the same state DB refuses to start, naming the host and pid of the first; after a SIGKILL a new one takes over', async () => {
    study.ws = makeWorkspace({ participants: 3 });
    slack = await startSlackStandIn();
    const env = { ...study.ws.env, ...slackEnv(slack.apiUrl), LOG_LEVEL: 'info' };
    const start = () => {
      let stderr = '';
      const child = runCli(['serve'], env, { onStderr: (t) => (stderr += t) });
      const listening = () =>
        slack!.waitFor(() => /HTTP on 127\.0\.0\.1:(\d+)/.test(stderr) || undefined, 20_000, 'the bot to listen');
      return { child, listening, stderr: () => stderr };
    };
    const first = start();
    const third = { current: undefined as ReturnType<typeof start> | undefined };
    try {
      await first.listening();
      const second = await runCli(['serve'], env).done;
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`pid ${first.child.pid} on ${hostname()}`);
      expect(second.stderr).toContain('running the bot (serve)');
      expect(second.stderr).not.toMatch(/This is a bug|\n\s+at /);

      // The lease's heartbeat keeps beating while the first one serves.
      const db = openStateDb(study.ws.env.STATE_DB_PATH!);
      const lease = () =>
        db.prepare("SELECT pid, acquired_at, heartbeat_at FROM locks WHERE name = 'serve'").get() as
          | { pid: number; acquired_at: string; heartbeat_at: string }
          | undefined;
      expect(lease()?.pid).toBe(first.child.pid);
      await slack.waitFor(
        () => (lease()!.heartbeat_at > lease()!.acquired_at ? true : undefined),
        8_000,
        'a heartbeat',
      );

      first.child.kill('SIGKILL');
      await first.child.done;
      third.current = start();
      await third.current.listening();
      expect(lease()?.pid).toBe(third.current.child.pid);
      third.current.child.kill('SIGTERM');
      expect((await third.current.child.done).code).toBe(0);
      expect(lease()).toBeUndefined(); // released on shutdown
      db.close();
    } finally {
      first.child.kill('SIGKILL');
      third.current?.child.kill('SIGKILL');
    }
  }, 60_000);

  it('exits 2 naming SLACK_BOT_TOKEN when Slack refuses the token', async () => {
    study.ws = makeWorkspace({ participants: 3 });
    slack = await startSlackStandIn();
    slack.failWith('auth.test', 'invalid_auth');
    const result = await runCli(['serve'], { ...study.ws.env, ...slackEnv(slack.apiUrl) }).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SLACK_BOT_TOKEN');
    expect(result.stderr).toContain('invalid_auth');
    expect(result.stderr).not.toContain('xoxb-test-token');
  });
});
