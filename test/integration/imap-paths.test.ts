/**
 * check-bounces' IMAP paths against the real Dovecot of the test mail stack
 * (test/support/mail-stack.ts): a connection without TLS where TLS is required is refused before
 * LOGIN (Dovecot saw no authentication attempt); a message over the 1 MB cap is left alone,
 * unread (`too_large`), even when it would be ours; IMAP_DONE_MAILBOX receives the handled
 * messages and nothing else. The ledger comes from a real send to a local SMTP sink.
 * Skipped, naming the Debian packages to install, where Postfix or Dovecot is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBouncesCommand } from '../../commands/check-bounces.js';
import { sendDaily } from '../../commands/send-daily.js';
import { DEFAULT_MAX_BYTES } from '../../src/bounces/classify.js';
import { openBounceMailbox } from '../../src/bounces/imap-mailbox.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { testContext } from '../support/context.js';
import { type MailStack, mailStackAvailable, startMailStack, withMailbox } from '../support/mail-stack.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

const availability = mailStackAvailable();
const title = availability.ok ? '' : ` — skipped: ${availability.reason}`;
type Json = Record<string, unknown>;

describe.skipIf(!availability.ok)(`check-bounces over a real Dovecot: TLS, size cap, done mailbox${title}`, () => {
  let stack: MailStack;
  let sink: SmtpSink;
  let ws: Workspace;
  let env: Env;
  let tokens: { did: string; unsubscribe_token: string }[];

  async function run(options: unknown, extra: Env = {}): Promise<{ exitCode: number; text: string; json: Json }> {
    const t = testContext(ws, { ...env, ...extra });
    try {
      return (await execute(checkBouncesCommand, t.ctx, options)) as { exitCode: number; text: string; json: Json };
    } finally {
      t.close();
    }
  }

  const imap = <T>(fn: (client: ImapFlow) => Promise<T>, mailbox = 'INBOX'): Promise<T> =>
    withMailbox(stack, fn, mailbox);

  async function contents(mailbox: string): Promise<{ subject: string; seen: boolean }[]> {
    return imap(async (c) => {
      const out: { subject: string; seen: boolean }[] = [];
      if (c.mailbox === false || c.mailbox.exists === 0) return out;
      for await (const m of c.fetch('1:*', { flags: true, envelope: true }))
        out.push({ subject: m.envelope?.subject ?? '', seen: m.flags?.has('\\Seen') ?? false });
      return out;
    }, mailbox);
  }

  const unsubscribeMail = (token: string, subject = `unsubscribe ${token}`, padding = ''): Buffer =>
    Buffer.from(
      `From: participant@participants.test\r\nTo: study+unsub-${token}@study.test\r\nSubject: ${subject}\r\n\r\n${padding}\r\n`,
    );
  const newsletter = (subject: string): Buffer =>
    Buffer.from(`From: news@example.org\r\nTo: bounces@study.test\r\nSubject: ${subject}\r\n\r\nHello.\r\n`);

  const logins = (): number =>
    (readFileSync(join(stack.dir, 'dovecot.log'), 'utf8').match(/Login: user=</g) ?? []).length;

  beforeAll(async () => {
    stack = (await startMailStack())!;
    sink = await startSmtpSink();
    ws = makeWorkspace({ participants: 8 });
    env = {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      MAIL_FROM: `Study Team <study@${stack.studyDomain}>`,
      MAIL_RETURN_PATH: stack.returnPath,
      BOUNCE_TOKEN_SECRET: 'a-test-secret-of-32-characters!!',
      IMAP_HOST: stack.host,
      IMAP_PORT: String(stack.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: stack.imapUser,
      IMAP_PASS: stack.imapPass,
    };
    const t = testContext(ws, env);
    try {
      const sent = (await execute(sendDaily, t.ctx, {
        reportDate: ws.reportDate,
        dryRun: false,
        yes: true,
        resendUnknown: 'none',
      })) as { exitCode: number; text: string };
      expect(sent.exitCode, sent.text).toBe(0);
      tokens = t
        .db()
        .prepare("SELECT did, unsubscribe_token FROM messages WHERE state = 'sent' ORDER BY did")
        .all() as typeof tokens;
    } finally {
      t.close();
    }
    expect(tokens.length).toBeGreaterThan(2);
  }, 60_000);

  afterAll(async () => {
    await sink?.close();
    ws?.cleanup();
    await stack?.stop();
  });

  it('refuses a connection without TLS where TLS is required, before LOGIN, naming IMAP_SECURE', async () => {
    const before = logins();
    // Off loopback (an address our loopback rule does not recognise, routed to the same Dovecot),
    // plain IMAP must upgrade with STARTTLS; this Dovecot offers none (ssl = no).
    const offLoopback = ws.config({ ...env, IMAP_HOST: '::ffff:127.0.0.1' });
    const refused = await openBounceMailbox(offLoopback, DEFAULT_MAX_BYTES).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems[0]).toMatchObject({ variable: 'IMAP_SECURE' });
    expect((refused as ConfigError).problems[0]!.message).toContain('did not offer STARTTLS');
    expect((refused as ConfigError).problems[0]!.message).toContain('the password was not sent');

    // IMAP_SECURE=true (implicit TLS) against a plain-text port: the handshake fails first.
    const implicit = await openBounceMailbox(ws.config({ ...env, IMAP_SECURE: 'true' }), DEFAULT_MAX_BYTES).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(implicit).toBeInstanceOf(ConfigError);
    expect((implicit as ConfigError).problems[0]!.message).toContain('TLS handshake');

    // Through the command: a settings error (the CLI exits 2 on it), nothing read.
    await expect(run({ dryRun: false }, { IMAP_HOST: '::ffff:127.0.0.1' })).rejects.toThrow(/IMAP_SECURE: is false/);
    // Dovecot never saw a login (the password was never sent); the loopback control does log in.
    expect(logins()).toBe(before);
    const control = await openBounceMailbox(ws.config(env), DEFAULT_MAX_BYTES);
    await control.close();
    expect(logins()).toBe(before + 1);
  }, 30_000);

  it('names the setting when the login is refused, the mailbox does not exist or nothing listens (exit 2, not "a bug")', async () => {
    const failure = (extra: Env) =>
      openBounceMailbox(ws.config({ ...env, ...extra }), DEFAULT_MAX_BYTES).then(
        async (opened) => {
          await opened.close();
          return undefined;
        },
        (error: unknown) => error,
      );
    const login = await failure({ IMAP_PASS: 'not-the-password' });
    expect(login).toBeInstanceOf(ConfigError);
    expect((login as ConfigError).problems[0]).toMatchObject({ variable: 'IMAP_USER' });
    expect((login as ConfigError).message).toContain('IMAP_PASS is wrong');
    expect((login as ConfigError).message).not.toContain('not-the-password');

    const mailbox = await failure({ IMAP_MAILBOX: 'Bounces-Typo' });
    expect(mailbox).toBeInstanceOf(ConfigError);
    expect((mailbox as ConfigError).problems[0]).toMatchObject({ variable: 'IMAP_MAILBOX' });
    expect((mailbox as ConfigError).message).toContain('"Bounces-Typo"');

    // A port nothing listens on: a closed server's port.
    const closed = await startSmtpSink();
    const port = closed.port;
    await closed.close();
    const refused = await failure({ IMAP_PORT: String(port) });
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).code).toBe('imap_unreachable');
    expect((refused as UsageError).message).toContain(`${stack.host}:${port}`);
    expect((refused as UsageError).message).toContain('ECONNREFUSED');
    // Through the command it is the same settings error (the CLI exits 2), and nothing was recorded.
    await expect(run({ dryRun: false }, { IMAP_PORT: String(port) })).rejects.toThrow(
      /Could not reach the bounce mailbox/,
    );
  }, 30_000);

  it('leaves a message over 1 MB alone (too_large, unread, not parsed even though it would be ours)', async () => {
    const token = tokens[0]!.unsubscribe_token;
    const big = unsubscribeMail(token, `unsubscribe ${token}`, `${'x'.repeat(998)}\r\n`.repeat(1100));
    expect(big.length).toBeGreaterThan(DEFAULT_MAX_BYTES);
    await imap((c) => c.append('INBOX', big));
    const checked = await run({ dryRun: false });
    expect(checked.exitCode, checked.text).toBe(0);
    expect(checked.json).toMatchObject({ read: 1, opt_outs: 0, not_ours: 1, not_ours_by_reason: { too_large: 1 } });
    expect(await contents('INBOX')).toEqual([{ subject: `unsubscribe ${token}`, seen: false }]);
    // Read once: the next check does not fetch it again.
    expect((await run({ dryRun: false })).json).toMatchObject({ read: 0 });
  }, 30_000);

  it('moves handled messages to IMAP_DONE_MAILBOX (flagged \\Seen); mail that is not ours stays in INBOX, unread', async () => {
    await imap(async (c) => {
      await c.mailboxCreate('Handled');
      await c.append('INBOX', newsletter('Newsletter 1'));
      await c.append('INBOX', unsubscribeMail(tokens[1]!.unsubscribe_token, 'unsubscribe please'));
      await c.append('INBOX', newsletter('Newsletter 2'));
    });
    const checked = await run({ dryRun: false }, { IMAP_DONE_MAILBOX: 'Handled' });
    expect(checked.exitCode, checked.text).toBe(0);
    // The subject has no token: the tagged To address alone identifies the opt-out.
    expect(checked.json).toMatchObject({ read: 3, opt_outs: 1, not_ours: 2 });
    expect(checked.json.events).toEqual([expect.objectContaining({ kind: 'opt_out', did: tokens[1]!.did })]);
    expect(await contents('Handled')).toEqual([{ subject: 'unsubscribe please', seen: true }]);
    const inbox = await contents('INBOX');
    expect(inbox.map((m) => m.subject)).toEqual([
      `unsubscribe ${tokens[0]!.unsubscribe_token}`,
      'Newsletter 1',
      'Newsletter 2',
    ]);
    expect(inbox.every((m) => !m.seen)).toBe(true);
    // Nothing counted twice after the move renumbered nothing in INBOX.
    expect((await run({ dryRun: false }, { IMAP_DONE_MAILBOX: 'Handled' })).json).toMatchObject({
      read: 0,
      opt_outs: 0,
    });
  }, 30_000);
});
