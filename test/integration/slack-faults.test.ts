/**
 * The approved run always goes out, whatever Slack does: a degraded Slack never holds up a send,
 * the request catches up from the persistent queue, a send started from the CLI reaches the
 * request and its thread, paused runs resume from a button, and clicks count only on the
 * bot's own messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import { runHealthChecks } from '../../src/slack/alerts.js';
import { recordApproval } from '../../src/storage/approvals.js';
import { auditForRun } from '../../src/storage/audit.js';
import { messageCounts } from '../../src/storage/messages.js';
import { pendingSlackSyncCount } from '../../src/storage/slack-sync.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { APPROVER_A, APPROVER_B, type BotHarness, OPERATOR, OUTSIDER, startBot, textOf } from '../support/slack-bot.js';
import { type Behaviour, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

async function botWithRequest(
  participants: number,
  env: Record<string, string> = {},
  behaviour?: (to: string) => Behaviour,
): Promise<{ bot: BotHarness; runId: string; ts: string }> {
  study.sink = await startSmtpSink(behaviour ? { behaviour } : {});
  study.ws = makeWorkspace({ participants });
  const bot = await startBot(study.ws, { ...smtpEnv(study.sink.port), ...env }, { slackCallBudgetMs: 300 });
  bots.push(bot);
  return { bot, ...(await bot.dryRun(OPERATOR)) };
}

const updatesOf = (bot: BotHarness, ts: string) =>
  bot.slack.callsOf('chat.update').filter((c) => c.args.ts === ts && !c.rateLimited);

describe('sends under a degraded Slack', () => {
  it('Slack answering 503 to chat.update during an approval: every message still goes out once, and the request catches up', async () => {
    const { bot, runId, ts } = await botWithRequest(25);
    const toSend = messageCounts(bot.db, runId).planned;
    bot.slack.unavailable('chat.update', true);
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send to finish');
    expect(study.sink!.count).toBe(toSend);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    // The final state waits in the queue until Slack is back.
    expect(pendingSlackSyncCount(bot.db)).toBe(1);
    bot.slack.unavailable('chat.update', false);
    const recovered = Date.now();
    // Only an update made after Slack recovered counts: the ones answered 503 are recorded too.
    const final = await bot.slack.waitFor(
      () => updatesOf(bot, ts).find((c) => c.at >= recovered && textOf(c).includes('Finished')),
      20_000,
      'the request to show the result',
    );
    expect(textOf(final)).toContain(`${toSend} sent`);
    await bot.slack.waitFor(() => pendingSlackSyncCount(bot.db) === 0, 10_000, 'the queue to drain');
  });

  it('a send from the CLI updates the Slack request and threads its failures through the queue', async () => {
    const { bot, runId, ts } = await botWithRequest(20, {}, (to) =>
      to.startsWith('a') ? { kind: 'reject', code: 550, message: '5.1.1 User unknown' } : { kind: 'accept' },
    );
    const t = testContext(study.ws, smtpEnv(study.sink!.port));
    try {
      await execute(sendDaily, t.ctx, {
        reportDate: study.ws.reportDate,
        runId,
        dryRun: false,
        yes: true,
        resendUnknown: 'none',
      });
    } finally {
      t.close();
    }
    const failed = messageCounts(bot.db, runId).failed;
    expect(failed).toBeGreaterThan(0);
    await bot.slack.waitFor(
      () => updatesOf(bot, ts).find((c) => textOf(c).includes('Finished with failures')),
      20_000,
      'the request to show the CLI send',
    );
    const replies = await bot.slack.waitFor(
      () => {
        const r = bot.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === ts);
        return r.length === failed ? r : undefined;
      },
      20_000,
      'a reply per failure',
    );
    expect(replies).toHaveLength(failed);
  });
});

describe('the health check resumes what a restart left behind', () => {
  it('an approved run that never started is sent at the next health check; past SEND_DEADLINE it is an alert instead', async () => {
    const { bot, runId } = await botWithRequest(10);
    // Approved while the bot was not looking (e.g. it died between the click and the send).
    recordApproval(bot.db, bot.run(runId), 'slack:U0APPROVA', new Date());
    const toSend = messageCounts(bot.db, runId).planned;
    await runHealthChecks(bot.app.bot);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the resumed send');
    expect(study.sink!.count).toBe(toSend);
    expect(auditForRun(bot.db, runId).filter((a) => a.action === 'send_resumed')).toHaveLength(1);

    // The same situation for a day whose deadline has passed: nothing is sent, the team is told.
    const late = await botWithRequest(6, { SEND_DEADLINE: '00:00' });
    recordApproval(late.bot.db, late.bot.run(late.runId), 'slack:U0APPROVA', new Date());
    const before = study.sink!.count;
    await runHealthChecks(late.bot.app.bot);
    const alert = await late.bot.slack.waitFor(() =>
      late.bot.slack.callsOf('chat.postMessage').find((c) => String(c.args.text).includes('cannot resume it')),
    );
    expect(String(alert.args.text)).toContain('SEND_DEADLINE');
    expect(study.sink!.count).toBe(before);
  });

  it('an approved run whose preview no longer matches the settings is alerted, not attempted', async () => {
    const { bot, runId } = await botWithRequest(6);
    recordApproval(bot.db, bot.run(runId), 'slack:U0APPROVA', new Date());
    // The bot restarts with another sender address than the one the team approved.
    const restarted = await startBot(study.ws, {
      ...smtpEnv(study.sink!.port),
      MAIL_FROM: 'Other <other@example.org>',
    });
    bots.push(restarted);
    await runHealthChecks(restarted.app.bot);
    const alert = await restarted.slack.waitFor(() =>
      restarted.slack.callsOf('chat.postMessage').find((c) => String(c.args.text).includes('cannot resume it')),
    );
    expect(String(alert.args.text)).toContain('MAIL_FROM changed');
    expect(restarted.run(runId).state).toBe('planned');
    expect(study.sink!.count).toBe(0);
  });
});

describe('Resume and provenance', () => {
  it('a paused run gets a Resume button: approvers only, and it continues the send once the cause is fixed', async () => {
    let down = true;
    const { bot, runId, ts } = await botWithRequest(
      20,
      { SEND_PAUSE_AFTER_FAILURES: '3', SMTP_MAX_CONNECTIONS: '1' },
      () => (down ? { kind: 'defer', times: 1000 } : { kind: 'accept' }),
    );
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'paused', 20_000, 'the pause');
    const paused = await bot.slack.waitFor(
      () => updatesOf(bot, ts).find((c) => JSON.stringify(c.args.blocks).includes('resume_run')),
      20_000,
      'the Resume button',
    );
    expect(textOf(paused)).toContain('Paused');

    await bot.driver.click('resume_run', runId, OUTSIDER, ts);
    await bot.slack.waitFor(() =>
      bot.slack
        .callsOf('chat.postEphemeral')
        .find((c) => c.args.user === OUTSIDER && String(c.args.text).includes('only the study')),
    );
    expect(bot.run(runId).state).toBe('paused');

    down = false;
    await bot.driver.click('resume_run', runId, APPROVER_B, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the resumed send');
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(study.sink!.count).toBe(messageCounts(bot.db, runId).sent);
  });

  it('Resend unknown: the chooser lists DIDs with Message-IDs, and resends only the chosen one', async () => {
    let dropping = true;
    const dropped = new Set<string>();
    const { bot, runId, ts } = await botWithRequest(12, {}, (to) => {
      if (dropping && (dropped.has(to) || dropped.size < 2)) {
        dropped.add(to);
        return { kind: 'drop-after-data' };
      }
      return { kind: 'accept' };
    });
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
    expect(messageCounts(bot.db, runId).unknown).toBe(2);
    await bot.slack.waitFor(
      () => updatesOf(bot, ts).find((c) => JSON.stringify(c.args.blocks).includes('resend_unknown')),
      20_000,
      'the Resend unknown button',
    );
    dropping = false;
    await bot.driver.click('resend_unknown', runId, APPROVER_B, ts);
    const opened = await bot.slack.waitFor(() => bot.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    const options = JSON.stringify(view);
    const unknown = bot.db
      .prepare("SELECT did, message_id FROM messages WHERE state = 'unknown' ORDER BY did")
      .all() as {
      did: string;
      message_id: string;
    }[];
    for (const u of unknown) {
      expect(options).toContain(u.did);
      expect(options).toContain(u.message_id.slice(0, 40));
    }
    const before = study.sink!.count;
    await bot.driver.submitView(
      view.callback_id,
      view.private_metadata,
      {
        dids: {
          dids_input: { type: 'multi_static_select', selected_options: [{ value: unknown[0]!.did }] },
        },
      } as unknown as Parameters<typeof bot.driver.submitView>[2],
      APPROVER_B,
    );
    await bot.slack.waitFor(() => messageCounts(bot.db, runId).unknown === 1, 20_000, 'the chosen resend');
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the run to end again');
    expect(study.sink!.count).toBe(before + 1);
    const left = bot.db.prepare("SELECT did FROM messages WHERE state = 'unknown'").all() as { did: string }[];
    expect(left.map((r) => r.did)).toEqual([unknown[1]!.did]);
  });

  it('clicks on a message that is not the run’s request in our channel do nothing', async () => {
    const { bot, runId, ts } = await botWithRequest(6);
    await bot.driver.click('approve_run', runId, APPROVER_A, '1700000000.000001');
    await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => String(c.args.text).includes('did not come from this bot')),
    );
    expect(bot.run(runId).decided_by).toBeNull();
    expect(study.sink!.count).toBe(0);
    // The real request still works.
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
  });
});
