import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runHealthChecks } from '../../src/slack/alerts.js';
import { runDailyJob } from '../../src/slack/daily-job.js';
import { addDays, localDateTime } from '../../src/util/dates.js';
import { useTestResources } from '../support/resources.js';
import { type BotHarness, OPERATOR, startBot } from '../support/slack-bot.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

/** A port where nothing listens: the SMTP check fails with a connection error. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function insertRun(b: BotHarness, id: string, reportDate: string, state: string): void {
  b.db
    .prepare(
      `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
     VALUES (?, ?, ?, 'schedule', ?, 'h', 't', ?, '{}')`,
    )
    .run(id, reportDate, new Date().toISOString(), state, new Date(Date.now() + 3_600_000).toISOString());
}

describe('scheduled health alerts', () => {
  it('alert once per condition per day: SMTP failing, credential expiring, approval pending, run paused, run stuck', async () => {
    study.ws = makeWorkspace({ participants: 8 });
    const zone = study.ws.env.STUDY_TZ!;
    const today = localDateTime(new Date(), zone).date;
    const b = await startBot(study.ws, {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(await closedPort()),
      MAIL_FROM: 'Study <study@example.org>',
      SMTP_CREDENTIAL_EXPIRES_AT: addDays(today, 10),
      // The workspace's zone puts local time around noon: 13:59 is less than 2 h away.
      SEND_DEADLINE: '13:59',
    });
    bots.push(b);
    await b.driver.command('/mail-dry-run', OPERATOR);
    await b.slack.waitFor(() => b.requests()[0], 20_000, 'the request');
    insertRun(b, 'run-paused', addDays(study.ws.reportDate, -1), 'paused');
    insertRun(b, 'run-stuck', addDays(study.ws.reportDate, -2), 'sending');

    const posted = await runHealthChecks(b.app.bot);
    const alerts = b.slack
      .callsOf('chat.postMessage')
      .filter((c) => !JSON.stringify(c.args.blocks).includes('approve_run'))
      .map((c) => String(c.args.text));
    expect(posted).toBe(5);
    expect(alerts.find((t) => t.includes('SMTP check failing'))).toBeDefined();
    expect(alerts.find((t) => t.includes('expires in 10 day(s)'))).toBeDefined();
    expect(alerts.find((t) => t.includes('Approval still pending'))).toBeDefined();
    expect(alerts.find((t) => t.includes('Send paused') && t.includes('run-paused'))).toBeDefined();
    expect(alerts.find((t) => t.includes('Send stuck') && t.includes('run-stuck'))).toBeDefined();

    // The next hourly check finds the same conditions and stays quiet.
    expect(await runHealthChecks(b.app.bot)).toBe(0);
    expect(b.slack.callsOf('chat.postMessage')).toHaveLength(alerts.length + 1);
    // …and the SMTP result is kept for /mail-status and App Home.
    expect(b.db.prepare("SELECT ok FROM health WHERE check_name = 'smtp'").get()).toEqual({ ok: 0 });
  });

  it('an alert Slack did not accept is tried again at the next check', async () => {
    study.ws = makeWorkspace({ participants: 5 });
    const b = await startBot(study.ws, { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(await closedPort()) });
    bots.push(b);
    b.slack.failWith('chat.postMessage', 'not_in_channel');
    expect(await runHealthChecks(b.app.bot)).toBe(0);
    expect(b.db.prepare('SELECT COUNT(*) AS n FROM alerts_posted').get()).toEqual({ n: 0 });
    expect(await runHealthChecks(b.app.bot)).toBe(1);
    expect(b.slack.callsOf('chat.postMessage').map((c) => String(c.args.text))).toEqual([
      expect.stringContaining('SMTP check failing'),
      expect.stringContaining('SMTP check failing'),
    ]);
  });
});

describe('the scheduled daily job', () => {
  it("prepares yesterday's run and posts the request once; a second tick leaves the live request alone", async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const b = await startBot(study.ws);
    bots.push(b);
    const first = await runDailyJob(b.app.bot);
    expect(first.posted).toBe(true);
    expect(b.requests()).toHaveLength(1);
    const second = await runDailyJob(b.app.bot);
    expect(second).toMatchObject({ posted: false });
    expect(b.requests()).toHaveLength(1);
  });

  it('a daily run that cannot be prepared is an alert saying why and what to do', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const b = await startBot(study.ws, { COMPLIANCE_DB_PATH: `${study.ws.dir}/missing.db` });
    bots.push(b);
    const result = await runDailyJob(b.app.bot);
    expect(result).toMatchObject({ posted: false, alerted: true });
    const alert = b.slack.callsOf('chat.postMessage')[0]!;
    expect(String(alert.args.text)).toContain(`The daily run for ${study.ws.reportDate} could not be prepared`);
    expect(String(alert.args.text)).toContain('COMPLIANCE_DB_PATH');
    expect(String(alert.args.text)).toContain('/mail-dry-run');
  });
});
