/**
 * Regenerates the Postfix fixtures in test/fixtures/bounces/ from the real test mail stack:
 *
 *   npx tsx test/support/capture-bounce-fixtures.ts
 *
 * Sends messages shaped like ours (composeMessage, our Message-ID and run header, a tagged
 * envelope sender): one to an unknown user (Postfix bounces it: a 5.1.1 DSN), one to the domain
 * whose deliveries are deferred (a "delayed" 4.4.1 DSN), one delivered with NOTIFY=SUCCESS (a
 * "delivered" DSN, which is no failure); and one message that is not ours (another system's
 * Message-ID, the untagged envelope sender) to an unknown user. The DSNs are saved byte for byte
 * as Postfix delivered them.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { tagAddress } from '../../src/bounces/token.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { fixtureToken, ourMessage } from './bounce-fixtures.js';
import { mailStackAvailable, startMailStack } from './mail-stack.js';

const OUT = resolve(import.meta.dirname, '../fixtures/bounces');

/** SmtpClient has no DSN options (we never ask for success notices); the capture does, once. */
async function sendWithSuccessNotice(host: string, port: number, token: string, to: string): Promise<void> {
  const connection = new SMTPConnection({ host, port });
  await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
  await new Promise<void>((resolve, reject) =>
    connection.send(
      { from: tagAddress('bounces+@study.test', token), to: [to], dsn: { notify: ['SUCCESS'], ret: 'HDRS' } },
      ourMessage('S-0110', to),
      (error) => (error ? reject(error) : resolve()),
    ),
  );
  connection.quit();
}

async function main(): Promise<void> {
  const available = mailStackAvailable();
  if (!available.ok) throw new Error(available.reason);
  const stack = await startMailStack();
  if (stack === undefined) throw new Error('The mail stack did not start.');
  const client = new SmtpClient({ host: stack.host, port: stack.smtpPort, secure: false });
  try {
    const sends = [
      { did: 'S-0101', to: `pat.gone@${stack.participantDomain}` },
      { did: 'S-0102', to: `lee@${stack.deferredDomain}` },
    ];
    for (const { did, to } of sends) {
      const from = tagAddress(stack.returnPath, fixtureToken(did));
      const outcome = await client.send({ from, to }, ourMessage(did, to));
      if (outcome.kind !== 'sent') throw new Error(`${did}: ${JSON.stringify(outcome)}`);
    }
    const foreign = Buffer.from(
      [
        'From: Facilities <facilities@study.test>',
        'To: old-printer@participants.test',
        'Subject: Toner order',
        'Date: Mon, 30 Nov 2026 08:00:00 +0000',
        'Message-ID: <toner-4471@facilities.study.test>',
        '',
        'Please order two black toner cartridges.',
        '',
      ].join('\r\n'),
    );
    await client.send({ from: `bounces@${stack.studyDomain}`, to: 'old-printer@participants.test' }, foreign);
    await sendWithSuccessNotice(stack.host, stack.smtpPort, fixtureToken('S-0110'), stack.reachableParticipant);

    const dsns = await stack.waitForMessages(4, 15_000);
    for (const dsn of dsns) {
      const text = dsn.toString('latin1');
      const name = text.includes('Action: delayed')
        ? 'postfix-delayed.eml'
        : text.includes('Action: delivered')
          ? 'postfix-success-notice.eml'
          : text.includes('toner-4471')
            ? 'postfix-not-ours.eml'
            : 'postfix-unknown-user.eml';
      writeFileSync(join(OUT, name), dsn);
      console.log(`wrote ${name} (${dsn.length} bytes)`);
    }
  } finally {
    client.close();
    await stack.stop();
  }
}

await main();
