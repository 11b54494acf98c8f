import { afterEach, describe, expect, it } from 'vitest';
import { auditForRun } from '../../src/storage/audit.js';
import { messageCounts } from '../../src/storage/messages.js';
import { smtpEnv } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { APPROVER_A, APPROVER_B, type BotHarness, OPERATOR, startBot, textOf } from '../support/slack-bot.js';
import { type Behaviour, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

/** A study where the relay refuses some recipients with 550, approved in Slack and sent. */
async function sendWithRejections(
  participants: number,
  rejects: (recipient: string, index: number) => boolean,
): Promise<{ bot: BotHarness; runId: string; ts: string }> {
  const seen = new Map<string, number>();
  study.sink = await startSmtpSink({
    behaviour: (recipient): Behaviour => {
      if (!seen.has(recipient)) seen.set(recipient, seen.size);
      return rejects(recipient, seen.get(recipient)!)
        ? { kind: 'reject', code: 550, message: `5.1.1 <${recipient}>: mailbox unavailable` }
        : { kind: 'accept' };
    },
  });
  study.ws = makeWorkspace({ participants });
  const bot = await startBot(study.ws, { ...smtpEnv(study.sink.port), SEND_PAUSE_AFTER_FAILURES: '100000' });
  bots.push(bot);
  const { runId, ts } = await bot.dryRun(OPERATOR);
  await bot.approveAndWait(runId, ts, APPROVER_A);
  return { bot, runId, ts };
}

const threadReplies = (bot: BotHarness, ts: string) =>
  bot.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === ts);

describe('failures threaded under the approval request', () => {
  it('posts one reply per failed message with the DID, the masked error, attempts and a ticket_filed button', async () => {
    const { bot, runId, ts } = await sendWithRejections(20, (_r, i) => i % 5 === 0);
    const failed = messageCounts(bot.db, runId).failed;
    expect(failed).toBeGreaterThan(0);
    const replies = await bot.slack.waitFor(
      () => threadReplies(bot, ts).length === failed && threadReplies(bot, ts),
      10_000,
      'the failure replies',
    );
    const failedDids = (
      bot.db.prepare("SELECT did FROM messages WHERE run_id = ? AND state = 'failed'").all(runId) as { did: string }[]
    ).map((r) => r.did);
    for (const did of failedDids) expect(replies.some((r) => textOf(r).includes(did))).toBe(true);
    const first = replies[0]!;
    expect(textOf(first)).toContain('550');
    expect(textOf(first)).toMatch(/\*\*\*@/);
    expect(JSON.stringify(first.args.blocks)).toContain('"ticket_filed"');
    // Final counts on the request itself.
    const final = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.update').find((c) => c.args.ts === ts && textOf(c).includes('Finished with failures')),
    );
    expect(textOf(final)).toContain(`failed ${failed}`);
  });

  it('130 failures → 20 replies, one summary grouped by error and a CSV of all of them (files.uploadV2)', async () => {
    const { bot, runId, ts } = await sendWithRejections(160, () => true);
    const failed = messageCounts(bot.db, runId).failed;
    expect(failed).toBeGreaterThanOrEqual(130);
    await bot.slack.waitFor(
      () => bot.slack.callsOf('files.completeUploadExternal').length === 1,
      15_000,
      'the CSV upload',
    );
    const replies = threadReplies(bot, ts);
    expect(replies).toHaveLength(21);
    const summary = replies.find((r) => textOf(r).includes('more failed message'))!;
    expect(textOf(summary)).toContain(`${failed - 20} more failed message(s)`);
    expect(textOf(summary)).toContain(`${failed - 20} × EENVELOPE: 550 5.1.1 &lt;[address]&gt;: mailbox unavailable`);
    const complete = bot.slack.callsOf('files.completeUploadExternal')[0]!;
    expect(complete.args.thread_ts).toBe(ts);
    const csv = bot.slack.uploads[0]!.bytes.toString('utf8').trim().split('\n');
    expect(csv[0]).toBe('did,state,failure_kind,attempts,error,run_id,report_date');
    expect(csv).toHaveLength(failed + 1);
    // Bounded: a run with 130+ failures costs a fixed number of Slack calls, not one per failure.
    const total = bot.slack.calls.filter((c) => !['chat.update'].includes(c.method)).length;
    expect(total).toBeLessThanOrEqual(30);
  });

  it('ticket_filed opens a modal; saving it updates the reply with the ticket and who filed it, once', async () => {
    const { bot, runId, ts } = await sendWithRejections(10, (_r, i) => i === 0);
    const reply = await bot.slack.waitFor(() => threadReplies(bot, ts)[0]);
    const replyTs = String(
      (
        await bot.slack.waitFor(
          () =>
            bot.db.prepare('SELECT ts FROM slack_failure_replies WHERE run_id = ?').get(runId) as
              | { ts: string }
              | undefined,
        )
      ).ts,
    );
    const button = (reply.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find(
      (b) => b.type === 'actions',
    )!.elements![0]!;
    await bot.driver.click('ticket_filed', button.value, APPROVER_B, replyTs);
    const opened = await bot.slack.waitFor(() => bot.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('ticket_filed_modal');
    await bot.driver.submitView(
      view.callback_id,
      view.private_metadata,
      { ticket: { ticket_input: { type: 'plain_text_input', value: 'HELP-4711' } } },
      APPROVER_B,
    );
    const updated = await bot.slack.waitFor(() => bot.slack.callsOf('chat.update').find((c) => c.args.ts === replyTs));
    expect(textOf(updated)).toContain('HELP-4711');
    expect(textOf(updated)).toContain(`<@${APPROVER_B}>`);
    expect(JSON.stringify(updated.args.blocks)).not.toContain('"ticket_filed"');
    expect(auditForRun(bot.db, runId).filter((a) => a.action === 'ticket_filed')).toHaveLength(1);
    // A second filing of the same failure is refused, not recorded twice.
    await bot.driver.submitView(
      view.callback_id,
      view.private_metadata,
      { ticket: { ticket_input: { type: 'plain_text_input', value: 'HELP-9999' } } },
      APPROVER_A,
    );
    await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => String(c.args.text).includes('already filed')),
    );
    expect(auditForRun(bot.db, runId).filter((a) => a.action === 'ticket_filed')).toHaveLength(1);
  });

  it('a 429 from Slack: the bot waits for Retry-After and carries on', async () => {
    study.sink = await startSmtpSink();
    study.ws = makeWorkspace({ participants: 10 });
    const bot = await startBot(study.ws, smtpEnv(study.sink.port));
    bots.push(bot);
    bot.slack.rateLimit('chat.postMessage', 1);
    await bot.driver.command('/mail-dry-run', OPERATOR);
    const request = await bot.slack.waitFor(() => bot.requests()[0], 20_000, 'the request after the 429');
    const limited = bot.slack.calls.find((c) => c.method === 'chat.postMessage' && c.rateLimited)!;
    expect(request.at - limited.at).toBeGreaterThanOrEqual(950);
  });
});
