/**
 * The real mail stack the bounce tests stand on (test/support/mail-stack.ts): our SMTP client
 * hands a message to a private Postfix, Postfix bounces it with a DSN of its own making, and the
 * DSN is read back over IMAP from a private Dovecot with imapflow, as check-bounces will.
 * Skipped, naming the Debian package to install, where Postfix or Dovecot is missing.
 */
import { existsSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/bounces/classify.js';
import { tagAddress } from '../../src/bounces/token.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { fixtureMessageId, fixtureToken, ourMessage } from '../support/bounce-fixtures.js';
import { isProcessAlive } from '../support/daemons.js';
import {
  type DEBIAN_BINARIES,
  type MailStack,
  mailStackAvailable,
  startMailStack,
  withMailbox,
} from '../support/mail-stack.js';

const availability = mailStackAvailable();
const title = availability.ok ? '' : ` — skipped: ${availability.reason}`;

function readInbox(stack: MailStack): Promise<Buffer[]> {
  return withMailbox(stack, async (client) => {
    const messages: Buffer[] = [];
    for await (const message of client.fetch('1:*', { source: true })) {
      if (message.source !== undefined) messages.push(message.source);
    }
    return messages;
  });
}

describe.skipIf(!availability.ok)(`a private Postfix + Dovecot on loopback${title}`, () => {
  let stack: MailStack;
  let client: SmtpClient;

  beforeAll(async () => {
    stack = (await startMailStack())!;
    client = new SmtpClient({ host: stack.host, port: stack.smtpPort, secure: false });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  it('starts in seconds, on its own ports', () => {
    expect(stack.smtpPort).not.toBe(25);
    expect(stack.smtpPort).not.toBe(stack.imapPort);
    expect(isProcessAlive(stack.postfixPid)).toBe(true);
    expect(isProcessAlive(stack.dovecotPid)).toBe(true);
    expect(stack.startupMs).toBeLessThan(20_000);
  });

  it('accepts mail for an unknown user, then Postfix bounces it with an RFC 3464 DSN read over IMAP', async () => {
    const token = fixtureToken('S-0101');
    const sender = tagAddress(stack.returnPath, token);
    expect(sender).toBe(`bounces+${token}@study.test`);
    const to = `nobody-here@${stack.participantDomain}`;
    const sentAt = Date.now();
    const outcome = await client.send({ from: sender, to }, ourMessage('S-0101', to));
    expect(outcome.kind).toBe('sent'); // accepted at RCPT and DATA: the failure comes later

    await stack.waitForMessages(1, 10_000);
    const dsnMs = Date.now() - sentAt;
    expect(dsnMs).toBeLessThan(10_000);
    const [raw] = await readInbox(stack);
    const dsn = await simpleParser(raw!, { keepDeliveryStatus: true });
    expect(dsn.headers.get('content-type')).toMatchObject({
      value: 'multipart/report',
      params: { 'report-type': 'delivery-status' },
    });
    expect(dsn.from?.value[0]?.address).toBe('MAILER-DAEMON@mx.study.test');
    expect(dsn.headerLines.find((h) => h.key === 'delivered-to')?.line).toBe(`Delivered-To: ${sender}`);
    const report = dsn.attachments.find((a) => a.contentType === 'message/delivery-status');
    const fields = report!.content.toString('utf8');
    expect(fields).toMatch(/^Action: failed$/m);
    expect(fields).toMatch(/^Status: 5\.1\.1$/m);
    expect(fields).toContain(`Final-Recipient: rfc822; ${to}`);

    // And our parser, end to end: the tag and the returned headers both point at the message.
    const classified = await classifyMessage(raw!, { returnPathLocal: 'bounces' });
    expect(classified).toMatchObject({
      kind: 'bounce',
      severity: 'hard',
      status: '5.1.1',
      recipientAddress: to,
      ref: { returnPathToken: token, messageId: fixtureMessageId('S-0101') },
    });
  });

  it('warns with a "delayed" DSN (4.4.1) for a domain whose deliveries are deferred', async () => {
    const token = fixtureToken('S-0102');
    const to = `lee@${stack.deferredDomain}`;
    await client.send({ from: tagAddress(stack.returnPath, token), to }, ourMessage('S-0102', to));
    const messages = await stack.waitForMessages(2, 15_000);
    const classified = await classifyMessage(messages[1]!, { returnPathLocal: 'bounces' });
    expect(classified).toMatchObject({ kind: 'bounce', severity: 'soft', action: 'delayed', status: '4.4.1' });
  });

  it('delivers to a participant mailbox that exists', async () => {
    const to = stack.reachableParticipant;
    const outcome = await client.send(
      { from: tagAddress(stack.returnPath, fixtureToken('S-0103')), to },
      ourMessage('S-0103', to),
    );
    expect(outcome.kind).toBe('sent');
    const [delivered] = await stack.waitForMessages(1, 10_000, 'participant');
    expect(delivered!.toString('utf8')).toContain(`Message-ID: <${fixtureMessageId('S-0103')}>`);
  });

  it('stop() ends both daemons by PID and removes its folder', async () => {
    const { postfixPid, dovecotPid, dir } = stack;
    client.close();
    await stack.stop();
    expect(isProcessAlive(postfixPid)).toBe(false);
    expect(isProcessAlive(dovecotPid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('when Postfix or Dovecot is missing', () => {
  it('the skip reason names the Debian package to install', () => {
    const there = process.execPath; // any file that exists
    const gone = '/nonexistent/binary';
    const only = (missing: Partial<typeof DEBIAN_BINARIES>) => ({
      postfix: there,
      postfixMaster: there,
      dovecot: there,
      dovecotImap: there,
      ...missing,
    });
    expect(mailStackAvailable(only({ dovecotImap: gone }))).toEqual({
      ok: false,
      reason: expect.stringContaining('apt-get install -y dovecot-imapd`'),
    });
    expect(mailStackAvailable(only({ postfixMaster: gone }))).toEqual({
      ok: false,
      reason: expect.stringContaining('apt-get install -y postfix`'),
    });
    expect(mailStackAvailable(only({ postfix: gone, dovecot: gone }))).toEqual({
      ok: false,
      reason: expect.stringContaining('apt-get install -y postfix dovecot-imapd'),
    });
  });
});
