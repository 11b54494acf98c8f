/**
 * Bounces and opt-outs told to the team (issue 11), against the Slack stand-in. The bot is given
 * nothing by whoever records a bounce or an opt-out: the recorders below write the ledger and the
 * suppressions exactly as check-bounces and the unsubscribe page do, and the bot's Slack sync
 * finds what has not been posted yet.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanDiagnostic } from '../../src/bounces/diagnostic.js';
import { recordClassified } from '../../src/bounces/record.js';
import { markOptedOut } from '../../src/storage/bounces.js';
import { messagesInState } from '../../src/storage/messages.js';
import type { StateDb } from '../../src/storage/state-db.js';
import { addSuppression } from '../../src/storage/suppressions.js';
import { smtpEnv } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { APPROVER_A, type BotHarness, CHANNEL, OPERATOR, startBot, textOf } from '../support/slack-bot.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import type { Workspace } from '../support/workspace.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

function rosterAddresses(ws: Workspace): Map<string, string> {
  const rows = parse(readFileSync(ws.fixture.rosterPath), { columns: true, bom: true }) as Record<string, string>[];
  return new Map(rows.map((r) => [r.did!, r.email!]));
}

async function sentRun(participants: number, env: Record<string, string> = {}) {
  study.sink = await startSmtpSink();
  study.ws = makeWorkspace({ participants });
  const bot = await startBot(study.ws, { ...smtpEnv(study.sink.port), ...env });
  bots.push(bot);
  const { runId, ts } = await bot.dryRun(OPERATOR);
  await bot.approveAndWait(runId, ts, APPROVER_A);
  return { bot, runId, ts, addresses: rosterAddresses(study.ws) };
}

/** What check-bounces records for a DSN "550 5.1.1 <address>: user unknown" to this message. */
function recordHardBounce(db: StateDb, runId: string, did: string, address: string) {
  const message = messagesInState(db, runId, ['sent', 'bounced']).find((m) => m.did === did)!;
  return recordClassified(
    db,
    {
      kind: 'bounce',
      severity: 'hard',
      format: 'rfc3464',
      recipientAddress: address,
      status: '5.1.1',
      action: 'failed',
      diagnostic: cleanDiagnostic(`smtp; 550 5.1.1 <${address}>: Recipient address rejected: User unknown`)!,
      ref: { messageId: message.message_id! },
    },
    'schedule',
    new Date(),
    false,
  );
}

const threadReplies = (bot: BotHarness, ts: string) =>
  bot.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === ts);
const channelPosts = (bot: BotHarness, pattern: RegExp) =>
  bot.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === undefined && pattern.test(textOf(c)));
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hard bounces in the request thread', () => {
  it('one reply per bounce (DID, status, masked diagnostic, ticket_filed), once; the request says "bounced later"; no address in any Slack call', async () => {
    const { bot, runId, ts, addresses } = await sentRun(30, { BOUNCE_ALERT_PERCENT: '50' });
    const sent = messagesInState(bot.db, runId, ['sent']);
    const bouncing = sent.slice(0, 2).map((m) => m.did);
    for (const did of bouncing)
      expect(recordHardBounce(bot.db, runId, did, addresses.get(did)!).kind).toBe('hard_bounce');

    const replies = await bot.slack.waitFor(
      () => threadReplies(bot, ts).length === 2 && threadReplies(bot, ts),
      10_000,
      'the bounce replies',
    );
    for (const did of bouncing) {
      const reply = replies.find((r) => textOf(r).includes(did))!;
      expect(textOf(reply)).toContain('Bounced after sending');
      expect(textOf(reply)).toContain('5.1.1');
      expect(textOf(reply)).toContain('User unknown');
      expect(textOf(reply)).toMatch(/\*\*\*@/);
      expect(JSON.stringify(reply.args.blocks)).toContain('"ticket_filed"');
    }
    const final = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.update').find((c) => c.args.ts === ts && textOf(c).includes('2 bounced later')),
    );
    expect(textOf(final)).toContain(`${sent.length - 2} sent · 2 bounced later`);

    // The same bounce recorded again (a second DSN, a re-run) and more drains: nothing new.
    expect(recordHardBounce(bot.db, runId, bouncing[0]!, addresses.get(bouncing[0]!)!)).toMatchObject({
      duplicate: true,
    });
    bot.app.bot.slackSync.kick();
    await settle(800);
    expect(threadReplies(bot, ts)).toHaveLength(2);
    // 2 of 30 is under 50%: no bounce-rate alert.
    expect(channelPosts(bot, /Bounce rate/)).toHaveLength(0);

    const everything = bot.slack.everything();
    for (const address of addresses.values()) expect(everything).not.toContain(address);
  });

  it('"Ticket filed" on a bounce reply works as on a send failure', async () => {
    const { bot, runId, ts, addresses } = await sentRun(12);
    const did = messagesInState(bot.db, runId, ['sent'])[0]!.did;
    recordHardBounce(bot.db, runId, did, addresses.get(did)!);
    const reply = await bot.slack.waitFor(() => threadReplies(bot, ts)[0], 10_000, 'the bounce reply');
    const replyTs = await bot.slack.waitFor(
      () =>
        (
          bot.db.prepare('SELECT ts FROM slack_failure_replies WHERE run_id = ? AND did = ?').get(runId, did) as
            | { ts: string | null }
            | undefined
        )?.ts ?? undefined,
    );
    const button = (reply.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find(
      (b) => b.type === 'actions',
    )!.elements![0]!;
    await bot.driver.click('ticket_filed', button.value, APPROVER_A, replyTs);
    const opened = await bot.slack.waitFor(() => bot.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    await bot.driver.submitView(
      view.callback_id,
      view.private_metadata,
      { ticket: { ticket_input: { type: 'plain_text_input', value: 'HELP-77' } } },
      APPROVER_A,
    );
    const updated = await bot.slack.waitFor(() => bot.slack.callsOf('chat.update').find((c) => c.args.ts === replyTs));
    expect(textOf(updated)).toContain('HELP-77');
    expect(textOf(updated)).toContain('Bounced after sending');
  });

  it('over 20 bounces: 20 replies, one summary and a CSV of all of them; the bounce-rate alert once', async () => {
    const { bot, runId, ts, addresses } = await sentRun(40);
    const sent = messagesInState(bot.db, runId, ['sent']);
    const bouncing = sent.slice(0, 25);
    for (const m of bouncing) recordHardBounce(bot.db, runId, m.did, addresses.get(m.did)!);
    await bot.slack.waitFor(
      () => bot.slack.callsOf('files.completeUploadExternal').length === 1,
      20_000,
      'the CSV upload',
    );
    const replies = threadReplies(bot, ts);
    expect(replies).toHaveLength(21);
    const summary = replies.find((r) => textOf(r).includes('more bounced message'))!;
    expect(textOf(summary)).toContain('5 more bounced message(s)');
    expect(bot.slack.callsOf('files.completeUploadExternal')[0]!.args.thread_ts).toBe(ts);
    const csv = bot.slack.uploads[0]!.bytes.toString('utf8').trim().split('\n');
    expect(csv).toHaveLength(26);
    expect(csv.join('\n')).not.toMatch(/[^*\s]@/);

    const alerts = await bot.slack.waitFor(
      () => channelPosts(bot, /Bounce rate/).length === 1 && channelPosts(bot, /Bounce rate/),
    );
    expect(textOf(alerts[0])).toContain('The relay may be blocklisted');
    expect(textOf(alerts[0])).toContain(`25 of ${sent.length} sent message(s) bounced`);
    bot.app.bot.slackSync.kick();
    await settle(800);
    expect(threadReplies(bot, ts)).toHaveLength(21);
    expect(channelPosts(bot, /Bounce rate/)).toHaveLength(1);
  });
});

describe('opt-outs', () => {
  it('one post per opt-out, by DID, in the exact words, once; recorded by the storage functions alone', async () => {
    const { bot, runId } = await sentRun(12);
    const message = messagesInState(bot.db, runId, ['sent'])[0]!;
    // What the one-click unsubscribe does: no Slack, no bot, only the stored state.
    const at = new Date().toISOString();
    markOptedOut(bot.db, message.id, at);
    addSuppression(bot.db, { kind: 'opted_out', did: message.did, runId }, at);
    const expected = `${message.did} asked to stop the daily e-mails. This is not a withdrawal from the study: follow up.`;
    const posts = await bot.slack.waitFor(() => {
      const found = channelPosts(bot, /asked to stop/);
      return found.length === 1 && found;
    });
    expect(posts[0]!.args.text).toBe(expected);
    expect(posts[0]!.args.channel).toBe(CHANNEL);
    // Recorded again (a second unsubscribe e-mail): the suppression is kept once, nothing reposted.
    addSuppression(bot.db, { kind: 'opted_out', did: message.did, runId }, at);
    bot.app.bot.slackSync.kick();
    await settle(800);
    expect(channelPosts(bot, /asked to stop/)).toHaveLength(1);
  });
});
