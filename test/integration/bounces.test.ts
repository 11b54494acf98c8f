/**
 * Bounces end to end on the real mail stack (test/support/mail-stack.ts): send-daily hands the
 * day's messages to a private Postfix, Postfix bounces the unknown user with a DSN of its own
 * making into a private Dovecot, check-bounces reads it over IMAP and records it, and the next
 * validation blocks the address until the roster's address changes. The run is requested and
 * approved in Slack (the stand-in), and check-bounces is the CLI's, run while the bot is up: the
 * bot finds the recorded bounce in the state DB and threads it under that day's request.
 * Skipped, naming the Debian packages to install, where Postfix or Dovecot is missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBouncesCommand } from '../../commands/check-bounces.js';
import { status } from '../../commands/status.js';
import { suppressionCommand } from '../../commands/suppression.js';
import { validateParticipants } from '../../commands/validate-participants.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { outboxPaths } from '../../src/outbox/paths.js';
import { queryState, testContext } from '../support/context.js';
import { type MailStack, mailStackAvailable, startMailStack, withMailbox } from '../support/mail-stack.js';
import { APPROVER_A, type BotHarness, CHANNEL, OPERATOR, startBot, textOf } from '../support/slack-bot.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const availability = mailStackAvailable();
const title = availability.ok ? '' : ` — skipped: ${availability.reason}`;
type Json = Record<string, any>;

describe.skipIf(!availability.ok)(`bounces over the real mail stack${title}`, () => {
  let stack: MailStack;
  let ws: Workspace;
  let env: Env;
  let bouncing: string;
  let reachable: string;
  let bot: BotHarness | undefined;

  async function run(
    command: any,
    options: unknown,
  ): Promise<{ exitCode: number; text: string; json: Json; logs: string }> {
    const t = testContext(ws, env);
    try {
      const out = (await execute(command, t.ctx, options)) as { exitCode: number; text: string; json: Json };
      return { ...out, logs: t.logs.join('') };
    } finally {
      t.close();
    }
  }

  const ledger = (sql: string, ...params: unknown[]): Json[] => queryState(ws, env, sql, ...params) as Json[];

  const imap = <T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> => withMailbox(stack, fn);

  /** Rewrites the roster: every active row reachable, `bouncingDid`'s address the given one. */
  function writeAddresses(bouncingDid: string, address: string): void {
    const lines = readFileSync(ws.fixture.rosterPath, 'utf8').split('\n');
    const out = lines.map((line, i) => {
      if (i === 0 || line === '') return line;
      const cells = line.split(',');
      cells[1] = cells[0] === bouncingDid ? address : `reachable+${cells[0]!.toLowerCase()}@participants.test`;
      return cells.join(',');
    });
    writeFileSync(ws.fixture.rosterPath, out.join('\n'));
  }

  beforeAll(async () => {
    stack = (await startMailStack())!;
    ws = makeWorkspace({ participants: 8 });
    reachable = stack.reachableParticipant;
    env = {
      SMTP_HOST: stack.host,
      SMTP_PORT: String(stack.smtpPort),
      MAIL_FROM: `Study Team <study@${stack.studyDomain}>`,
      MAIL_RETURN_PATH: stack.returnPath,
      BOUNCE_TOKEN_SECRET: 'a-test-secret-of-32-characters!!',
      IMAP_HOST: stack.host,
      IMAP_PORT: String(stack.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: stack.imapUser,
      IMAP_PASS: stack.imapPass,
    };
    expect(reachable).toMatch(/@participants\.test$/);
  }, 60_000);

  afterAll(async () => {
    await bot?.close();
    ws?.cleanup();
    await stack?.stop();
  });

  it('send → Postfix DSN → check-bounces → bounced; the address is blocked until the roster changes', async () => {
    // The first active participant with data bounces; the others reach a mailbox that exists
    // (Postfix's recipient_delimiter lets reachable+<did> deliver to reachable).
    const validation = await run(validateParticipants, { reportDate: ws.reportDate });
    const eligible = (validation.json.counts as Json).eligible as number;
    expect(eligible, validation.text).toBeGreaterThan(1);
    const firstDid = readFileSync(ws.fixture.rosterPath, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .find((c) => c[5] === 'active' || c[5] === '')![0]!;
    bouncing = `gone-${firstDid.toLowerCase()}@participants.test`;
    writeAddresses(firstDid, bouncing);

    // Requested and approved in Slack; the bot sends through Postfix.
    bot = await startBot(ws, env);
    const request = await bot.dryRun(OPERATOR);
    await bot.approveAndWait(request.runId, request.ts, APPROVER_A);
    const rows = ledger(
      "SELECT did, state, return_path_token, unsubscribe_token, message_id, run_id FROM messages WHERE state = 'sent'",
    );
    const mine = rows.find((r) => r.did === firstDid)!;
    expect(mine, `${firstDid} was sent`).toBeDefined();
    expect(mine.run_id).toBe(request.runId);
    expect(mine.return_path_token).toMatch(/^[a-z2-7]{16}$/);
    // The preview shows the envelope sender and the unsubscribe address, both tagged.
    const eml = readFileSync(outboxPaths(ws.env.OUTBOX_DIR!, ws.reportDate).dryRunFile(firstDid), 'utf8');
    expect(eml.startsWith(`Return-Path: <bounces+${mine.return_path_token}@${stack.studyDomain}>\r\n`)).toBe(true);
    expect(eml).toContain(
      `List-Unsubscribe: <mailto:study+unsub-${mine.unsubscribe_token}@${stack.studyDomain}?subject=unsubscribe%20${mine.unsubscribe_token}>`,
    );

    // Postfix's DSN arrives; a message that is not ours shares the mailbox.
    await stack.waitForMessages(1, 15_000);
    await imap((c) =>
      c.append(
        'INBOX',
        Buffer.from('From: news@example.org\r\nTo: bounces@study.test\r\nSubject: Newsletter\r\n\r\nHello.\r\n'),
      ),
    );

    const dry = await run(checkBouncesCommand, { dryRun: true });
    expect(dry.json).toMatchObject({ dry_run: true, hard_bounces: 1, not_ours: 1 });
    expect(ledger('SELECT state FROM messages WHERE did = ? AND run_id = ?', firstDid, mine.run_id)[0]!.state).toBe(
      'sent',
    );

    const checked = await run(checkBouncesCommand, { dryRun: false });
    expect(checked.json).toMatchObject({ read: 2, hard_bounces: 1, soft_bounces: 0, not_ours: 1, duplicates: 0 });
    expect(checked.json.events).toEqual([
      expect.objectContaining({ kind: 'hard_bounce', did: firstDid, status: '5.1.1' }),
    ]);
    expect(JSON.stringify(checked.json) + checked.text + checked.logs).not.toContain(bouncing);
    const [bounced] = ledger(
      'SELECT state, bounce_status, bounce_diagnostic FROM messages WHERE did = ? AND run_id = ?',
      firstDid,
      mine.run_id,
    );
    expect(bounced).toMatchObject({ state: 'bounced', bounce_status: '5.1.1' });
    expect(bounced!.bounce_diagnostic ?? '').not.toContain(bouncing);

    // Ours is flagged \Seen; the newsletter is left unread.
    const flags = await imap(async (c) => {
      const out: { subject: string; seen: boolean }[] = [];
      for await (const m of c.fetch('1:*', { flags: true, envelope: true }))
        out.push({ subject: m.envelope?.subject ?? '', seen: m.flags?.has('\\Seen') ?? false });
      return out;
    });
    expect(flags.find((f) => f.subject === 'Newsletter')?.seen).toBe(false);
    expect(flags.filter((f) => f.seen)).toHaveLength(1);

    // The bot, which was given nothing, threads the bounce under that day's request: once.
    const threadOf = () => bot!.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === request.ts);
    const reply = await bot.slack.waitFor(() => threadOf()[0], 15_000, 'the bounce reply in the thread');
    expect(reply.args.channel).toBe(CHANNEL);
    expect(textOf(reply)).toContain(firstDid);
    expect(textOf(reply)).toContain('5.1.1');
    expect(JSON.stringify(reply.args.blocks)).toContain('"ticket_filed"');
    await bot.slack.waitFor(() =>
      bot!.slack.callsOf('chat.update').find((c) => c.args.ts === request.ts && textOf(c).includes('1 bounced later')),
    );
    expect(bot.slack.everything()).not.toContain(bouncing);

    // send_log.jsonl has the bounce, with the send's fields and no address in clear.
    const logLines = readFileSync(join(ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    const bounceLine = logLines.find((l) => l.status === 'bounced')!;
    expect(bounceLine).toMatchObject({
      did: firstDid,
      run_id: mine.run_id,
      dry_run: false,
      message_id: mine.message_id,
    });
    expect(bounceLine.error).toContain('5.1.1');
    expect(JSON.stringify(logLines)).not.toContain(bouncing);

    // A second check counts nothing twice, and the bot posts nothing more.
    const again = await run(checkBouncesCommand, { dryRun: false });
    expect(again.json).toMatchObject({ read: 0, hard_bounces: 0 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(threadOf()).toHaveLength(1);

    const day = await run(status, { reportDate: ws.reportDate });
    expect(day.json.outcomes[0]).toMatchObject({ report_date: ws.reportDate, bounced: 1, delivered: rows.length - 1 });
    // The adherence link: the bounced participant is "not reached", not "reached but non-compliant".
    // (The fixture's roster also has a participant with status opted_out: not reached either.)
    const adherence = day.json.adherence.days[0] as Json;
    expect(adherence).toMatchObject({ report_date: ws.reportDate, bounced: 1, opted_out: 1, unreachable: 2 });
    expect(adherence.reached.all + adherence.reached.some + adherence.reached.none + adherence.reached.no_data).toBe(
      adherence.participants - 2,
    );
    expect(day.text).toContain('not reached 2 (bounced 1, suppressed 0, blocked by validation 0, opted out 1)');

    // The next validation blocks the address (DID, date and status; never the address).
    const blocked = await run(validateParticipants, { reportDate: ws.reportDate });
    const finding = (blocked.json.errors as Json[]).find((f) => f.code === 'email_bouncing');
    expect(finding).toMatchObject({ did: firstDid });
    expect(finding!.message).toContain('5.1.1');
    expect(JSON.stringify(finding)).not.toContain(bouncing);

    const listed = await run(suppressionCommand, { action: 'list' });
    expect(listed.json.suppressions).toEqual([
      expect.objectContaining({ did: firstDid, kind: 'bounced', status: '5.1.1' }),
    ]);
    expect(listed.text + JSON.stringify(listed.json)).not.toContain(bouncing);

    // A corrected address in the roster is tried again.
    writeAddresses(firstDid, `fixed-${firstDid.toLowerCase()}@participants.test`);
    const fixed = await run(validateParticipants, { reportDate: ws.reportDate });
    expect((fixed.json.errors as Json[]).filter((f) => f.code === 'email_bouncing')).toEqual([]);
  }, 90_000);

  it('an unsubscribe e-mail with our token records an opt-out and blocks the DID', async () => {
    const [message] = ledger("SELECT did, unsubscribe_token FROM messages WHERE state = 'sent' ORDER BY did LIMIT 1");
    const token = message!.unsubscribe_token as string;
    await imap((c) =>
      c.append(
        'INBOX',
        Buffer.from(
          `From: participant@participants.test\r\nTo: study+unsub-${token}@study.test\r\nSubject: unsubscribe ${token}\r\n\r\n\r\n`,
        ),
      ),
    );
    const checked = await run(checkBouncesCommand, { dryRun: false });
    expect(checked.json).toMatchObject({ opt_outs: 1 });
    const words = `${message!.did} asked to stop the daily e-mails. This is not a withdrawal from the study: follow up.`;
    expect(checked.text).toContain(words);
    // The bot tells the channel, once.
    const post = await bot!.slack.waitFor(() =>
      bot!.slack.callsOf('chat.postMessage').find((c) => c.args.text === words),
    );
    expect(post.args.channel).toBe(CHANNEL);
    const blocked = await run(validateParticipants, { reportDate: ws.reportDate });
    expect((blocked.json.errors as Json[]).find((f) => f.code === 'opted_out_by_participant')).toMatchObject({
      did: message!.did,
    });
    const removed = await run(suppressionCommand, { action: 'remove', key: message!.did });
    expect(removed.json.suppressions).toHaveLength(1);
    const audit = ledger("SELECT actor FROM audit WHERE action = 'suppression_removed'");
    expect(audit).toEqual([{ actor: 'cli:tester' }]);
  }, 30_000);
});
