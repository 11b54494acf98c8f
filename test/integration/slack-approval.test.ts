import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtInTemplateDir } from '../../src/mail/templates.js';
import { auditForRun } from '../../src/storage/audit.js';
import { messageCounts } from '../../src/storage/messages.js';
import { smtpEnv } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import {
  APPROVER_A,
  APPROVER_B,
  type BotHarness,
  CHANNEL,
  OPERATOR,
  OUTSIDER,
  startBot,
  textOf,
} from '../support/slack-bot.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

async function botWithRequest(
  env: Record<string, string> = {},
  requester = APPROVER_A,
  acceptDelayMs = 0,
): Promise<{ bot: BotHarness; runId: string; ts: string }> {
  study.sink = await startSmtpSink({ acceptDelayMs });
  study.ws = makeWorkspace({ participants: 25 });
  const bot = await startBot(study.ws, { ...smtpEnv(study.sink.port), ...env });
  bots.push(bot);
  return { bot, ...(await bot.dryRun(requester)) };
}

const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

describe('the approval request in Slack', () => {
  it('is posted to the channel by /mail-dry-run with counts, preview, hash and both buttons', async () => {
    const { bot, runId } = await botWithRequest();
    const request = bot.requests()[0]!;
    expect(request.args.channel).toBe(CHANNEL);
    const blocks = request.args.blocks as { type: string; elements?: { action_id: string; confirm?: unknown }[] }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    const actions = blocks.find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => e.action_id)).toEqual(['approve_run', 'reject_run']);
    expect(actions.elements![0]!.confirm).toBeDefined();
    const text = textOf(request);
    expect(text).toContain('SAMPLE-0001');
    expect(text).toContain(bot.run(runId).batch_hash.slice(0, 16));
    expect(text).toContain('To send');
    // The slash command's own answer is ephemeral.
    const answer = await bot.slack.waitFor(() =>
      bot.slack.responses.find((r) => String(r.body.text).includes('Posted the approval request')),
    );
    expect(answer.body.response_type).toBe('ephemeral');
  });

  it('approve → every message arrives once, the request is updated in place with who and the final counts', async () => {
    const { bot, runId, ts } = await botWithRequest();
    const toSend = messageCounts(bot.db, runId).planned;
    const click = await bot.driver.click('approve_run', runId, APPROVER_B, ts);
    expect(click.status).toBe(200);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send to finish');
    expect(study.sink!.count).toBe(toSend);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    const final = await bot.slack.waitFor(() =>
      bot.slack
        .callsOf('chat.update')
        .filter((c) => c.args.ts === ts)
        .find((c) => textOf(c).includes('Finished')),
    );
    expect(textOf(final)).toContain(`<@${APPROVER_B}>`);
    expect(textOf(final)).toContain(`${toSend} sent`);
    expect(JSON.stringify(final.args.blocks)).not.toContain('approve_run');
    const actions = auditForRun(bot.db, runId).map((a) => `${a.action}:${a.actor}`);
    expect(actions).toContain(`run_approved:slack:${APPROVER_B}`);
  });

  it('refuses non-approvers and self-approval with an ephemeral reason, and sends nothing', async () => {
    const { bot, runId, ts } = await botWithRequest({}, APPROVER_A);
    await bot.driver.click('approve_run', runId, OUTSIDER, ts);
    const outsider = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => c.args.user === OUTSIDER),
    );
    expect(String(outsider.args.text)).toMatch(/only the study's approvers/);
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    const self = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => c.args.user === APPROVER_A),
    );
    expect(String(self.args.text)).toMatch(/You asked for this run/);
    expect(bot.run(runId).decided_by).toBeNull();
    expect(study.sink!.count).toBe(0);
  });

  it('allows self-approval when ALLOW_SELF_APPROVAL is set', async () => {
    const { bot, runId, ts } = await botWithRequest({ ALLOW_SELF_APPROVAL: 'true' }, APPROVER_A);
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
    expect(study.sink!.count).toBeGreaterThan(0);
  });

  it('refuses an expired request and a superseded one', async () => {
    const { bot, runId, ts } = await botWithRequest();
    bot.db
      .prepare('UPDATE runs SET expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 60_000).toISOString(), runId);
    await bot.driver.click('approve_run', runId, APPROVER_B, ts);
    const expired = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => String(c.args.text).includes('expired')),
    );
    expect(expired.args.user).toBe(APPROVER_B);

    await bot.driver.command('/mail-dry-run', APPROVER_A);
    await bot.slack.waitFor(() => bot.requests().length === 2, 20_000, 'a second request');
    await bot.slack.waitFor(() => bot.run(runId).state === 'superseded');
    const marked = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.update').find((c) => c.args.ts === ts && textOf(c).includes('Superseded')),
    );
    expect(JSON.stringify(marked.args.blocks)).not.toContain('approve_run');
    await bot.driver.click('approve_run', runId, APPROVER_B, ts);
    await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => String(c.args.text).includes('superseded')),
    );
    expect(study.sink!.count).toBe(0);
  });

  it('20 simultaneous approve clicks from two approvers send once', async () => {
    const { bot, runId, ts } = await botWithRequest({}, OPERATOR);
    const toSend = messageCounts(bot.db, runId).planned;
    const clicks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bot.driver.click('approve_run', runId, i % 2 === 0 ? APPROVER_A : APPROVER_B, ts),
      ),
    );
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
    await bot.slack.waitFor(() => bot.slack.callsOf('chat.postEphemeral').length === 19, 10_000, '19 refusals');
    expect(study.sink!.count).toBe(toSend);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(auditForRun(bot.db, runId).filter((a) => a.action === 'run_approved')).toHaveLength(1);
    expect(auditForRun(bot.db, runId).filter((a) => a.action === 'send_started')).toHaveLength(1);
  });

  it('reject opens the reason modal, records the reason, updates the request and blocks approval', async () => {
    const { bot, runId, ts } = await botWithRequest();
    await bot.driver.click('reject_run', runId, APPROVER_B, ts);
    const opened = await bot.slack.waitFor(() => bot.slack.callsOf('views.open')[0]);
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('reject_run_reason');
    const empty = await bot.driver.submitView(
      'reject_run_reason',
      view.private_metadata,
      { reason: { reason_input: { type: 'plain_text_input', value: '  ' } } },
      APPROVER_B,
    );
    expect(JSON.parse(empty.body)).toMatchObject({ response_action: 'errors' });
    await bot.driver.submitView(
      'reject_run_reason',
      view.private_metadata,
      { reason: { reason_input: { type: 'plain_text_input', value: 'Wear time looks wrong for site B' } } },
      APPROVER_B,
    );
    await bot.slack.waitFor(() => bot.run(runId).state === 'rejected');
    expect(bot.run(runId).decision_reason).toBe('Wear time looks wrong for site B');
    const updated = await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.update').find((c) => c.args.ts === ts && textOf(c).includes('Rejected')),
    );
    expect(textOf(updated)).toContain('Wear time looks wrong for site B');
    expect(auditForRun(bot.db, runId).find((a) => a.action === 'run_rejected')?.detail_json).toContain(
      'Wear time looks wrong',
    );
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() =>
      bot.slack.callsOf('chat.postEphemeral').find((c) => String(c.args.text).includes('already rejected')),
    );
    expect(study.sink!.count).toBe(0);
  });

  it('shows live progress on the request, throttled to the progress interval', async () => {
    const { bot, runId, ts } = await botWithRequest({ SMTP_MAX_CONNECTIONS: '1' }, OPERATOR, 40);
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
    const progress = bot.slack.callsOf('chat.update').filter((c) => c.args.ts === ts && textOf(c).includes('Sending…'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(textOf(progress[0])).toMatch(/Sending… \d+ of \d+ done/);
    // Updates are reported 200 ms apart at the least; they reach Slack after a queue and a
    // request, whose delays vary by some milliseconds on a busy machine (184 ms was seen). An
    // unthrottled update would follow its predecessor within a few milliseconds.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(120);
    const span = progress.at(-1)!.at - progress[0]!.at;
    expect(progress.length).toBeLessThanOrEqual(Math.floor(span / 200) + 2);
  });

  it('says "template changed since the last send" when the wording differs from what was last sent', async () => {
    const { bot, runId, ts } = await botWithRequest({}, OPERATOR);
    expect(textOf(bot.requests()[0])).not.toContain('Template changed');
    await bot.driver.click('approve_run', runId, APPROVER_A, ts);
    await bot.slack.waitFor(() => bot.run(runId).state === 'done', 20_000, 'the send');
    const templates = join(study.ws.dir, 'templates');
    cpSync(builtInTemplateDir(), templates, { recursive: true });
    writeFileSync(
      join(templates, 'subject.txt'),
      `${readFileSync(join(templates, 'subject.txt'), 'utf8').trim()} (new wording)`,
    );
    const second = await startBot(study.ws, { ...smtpEnv(study.sink!.port), TEMPLATE_DIR: templates });
    bots.push(second);
    await second.driver.command('/mail-dry-run', OPERATOR);
    const request = await second.slack.waitFor(
      () => second.slack.callsOf('chat.postMessage').find((c) => c.args.thread_ts === undefined),
      20_000,
      'the new request',
    );
    expect(textOf(request)).toContain('Template changed since the last send');
    expect(textOf(request)).toContain('(new wording)');
  });
});
