import { appendFileSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { smtpEnv } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import {
  APPROVER_A,
  type BotHarness,
  OPERATOR,
  OUTSIDER,
  SIGNING_SECRET,
  startBot,
  textOf,
} from '../support/slack-bot.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

async function bot(env: Record<string, string> = {}, participants = 15): Promise<BotHarness> {
  study.sink = await startSmtpSink({
    behaviour: (r) =>
      /^[a-f]/.test(r) ? { kind: 'reject', code: 550, message: `5.1.1 <${r}> unknown user` } : { kind: 'accept' },
  });
  study.ws = makeWorkspace({ participants });
  const harness = await startBot(study.ws, { ...smtpEnv(study.sink.port), ...env });
  bots.push(harness);
  return harness;
}

describe('requests to the bot are authenticated like Slack does', () => {
  it('answers 401 to a forged signature and to a stale timestamp, and runs nothing', async () => {
    const b = await bot();
    const body = new URLSearchParams({
      command: '/mail-status',
      user_id: OPERATOR,
      text: '',
      response_url: `${b.slack.url}/response/x`,
      channel_id: 'C0STUDY',
      team_id: 'T0STUDY',
      trigger_id: 't',
    }).toString();
    const forged = await b.driver.send(body, 'application/x-www-form-urlencoded', { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await b.driver.send(body, 'application/x-www-form-urlencoded', {
      timestamp: Math.floor(Date.now() / 1000) - 10 * 60,
    });
    expect(stale.status).toBe(401);
    const good = await b.driver.send(body, 'application/x-www-form-urlencoded');
    expect(good.status).toBe(200);
    await b.slack.waitFor(() => b.slack.responses.length === 1, 10_000, 'the one authentic command');
    expect(SIGNING_SECRET).not.toBe('not-the-secret');
  });
});

describe('slash commands', () => {
  it('ack within 3 s, answer ephemerally after the ack, and refuse non-operators politely', async () => {
    const b = await bot();
    const ack = await b.driver.command('/mail-validate', OPERATOR);
    expect(ack.status).toBe(200);
    expect(ack.ms).toBeLessThan(3000);
    expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral' });
    const result = await b.slack.waitFor(() => b.slack.responses.find((r) => String(r.body.text).includes('Roster:')));
    expect(result.body.response_type).toBe('ephemeral');

    const refused = await b.driver.command('/mail-status', OUTSIDER);
    expect(JSON.parse(refused.body).text).toMatch(/operators only/);

    await b.driver.command('/mail-status', OPERATOR, 'not-a-date');
    await b.slack.waitFor(() =>
      b.slack.responses.find((r) => String(r.body.text).includes('"not-a-date" is not a date')),
    );

    await b.driver.command('/mail-help', OPERATOR);
    const help = await b.slack.waitFor(() =>
      b.slack.responses.find((r) => String(r.body.text).includes('/mail-dry-run')),
    );
    expect(String(help.body.text)).toContain('/mail-status');

    await b.driver.command('/mail-status', OPERATOR, study.ws.reportDate);
    await b.slack.waitFor(() =>
      b.slack.responses.find((r) => String(r.body.text).includes(`Status for ${study.ws.reportDate}`)),
    );
    // Nothing went to the channel: every answer was ephemeral.
    expect(b.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('/mail-dry-run when the bot is not in the channel says to invite it', async () => {
    const b = await bot();
    b.slack.failWith('chat.postMessage', 'not_in_channel');
    await b.driver.command('/mail-dry-run', OPERATOR);
    const answer = await b.slack.waitFor(
      () => b.slack.responses.find((r) => String(r.body.text).includes('invite it there')),
      20_000,
      'the explanation',
    );
    expect(answer.body.response_type).toBe('ephemeral');
    expect(String(answer.body.text)).toContain('/invite @mail-updater');
  });

  it("App Home shows today's run, recent runs and SMTP health", async () => {
    const b = await bot();
    await b.driver.command('/mail-dry-run', OPERATOR);
    await b.slack.waitFor(() => b.requests()[0], 20_000, 'the request');
    const res = await b.driver.event({
      type: 'app_home_opened',
      user: OPERATOR,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: String(Date.now() / 1000),
    });
    expect(res.status).toBe(200);
    const published = await b.slack.waitFor(() => b.slack.callsOf('views.publish')[0]);
    expect(published.args.user_id).toBe(OPERATOR);
    const text = JSON.stringify(published.args.view);
    expect(text).toContain(`report date ${study.ws.reportDate}`);
    expect(text).toContain('*planned*');
    expect(text).toContain('Last 7 runs');
    expect(text).toContain('SMTP');
  });
});

describe('privacy', () => {
  it('no participant e-mail address or name in any Slack call of a full day', async () => {
    const b = await bot({}, 40);
    // A misaligned row (issue 9 §5): a name lands in the did, email, timezone and status columns.
    const header = readFileSync(study.ws.fixture.rosterPath, 'utf8').split(/\r?\n/)[0]!.split(',');
    const shifted = header.map((c) => (['did', 'email', 'timezone', 'status'].includes(c) ? 'Quentin Zyxwright' : 'x'));
    appendFileSync(study.ws.fixture.rosterPath, `${[...shifted, 'extra'].join(',')}\n`);
    await b.driver.command('/mail-validate', OPERATOR);
    await b.slack.waitFor(() => b.slack.responses.some((r) => String(r.body.text).includes('Validation for')));
    const { runId, ts } = await b.dryRun(OPERATOR);
    await b.approveAndWait(runId, ts, APPROVER_A);
    await b.slack.waitFor(
      () => b.slack.callsOf('chat.postMessage').some((c) => c.args.thread_ts === ts),
      10_000,
      'a failure reply',
    );
    await b.driver.command('/mail-status', OPERATOR);
    await b.slack.waitFor(() => b.slack.responses.some((r) => String(r.body.text).includes('Status for')));

    const everything = b.slack.everything();
    expect(everything.length).toBeGreaterThan(1000);
    expect(everything).toContain('timezone_invalid');
    expect(everything).not.toMatch(/quentin|zyxwright/i);
    const roster = parse(readFileSync(study.ws.fixture.rosterPath), {
      columns: true,
      bom: true,
      relax_column_count: true,
    }) as Record<string, string>[];
    for (const row of roster) {
      expect(everything).not.toContain(row.email);
      expect(everything).not.toContain(`${row.first_name} ${row.last_name}`);
    }
    // Anything address-shaped that did reach Slack is masked (a***@domain).
    const addresses = everything.match(/[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+\.[A-Za-z.]{2,}/g) ?? [];
    expect(addresses.filter((a) => !a.includes('***'))).toEqual([]);
    expect(textOf(b.requests()[0])).toContain('SAMPLE-0001');
  });
});
