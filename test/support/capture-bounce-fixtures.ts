/**
 * Regenerates the Postfix fixtures in test/fixtures/bounces/ from the real test mail stack:
 *
 *   npx tsx test/support/capture-bounce-fixtures.ts
 *
 * Sends two messages shaped like ours (composeMessage, our Message-ID and run header, a tagged
 * envelope sender): one to an unknown user (Postfix bounces it: a 5.1.1 DSN) and one to the
 * domain whose deliveries are deferred (Postfix warns: a "delayed" 4.4.1 DSN). The DSNs are
 * saved byte for byte as Postfix delivered them.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tagAddress } from '../../src/bounces/token.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { fixtureToken, ourMessage } from './bounce-fixtures.js';
import { mailStackAvailable, startMailStack } from './mail-stack.js';

const OUT = resolve(import.meta.dirname, '../fixtures/bounces');

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
    const dsns = await stack.waitForMessages(2, 15_000);
    for (const dsn of dsns) {
      const text = dsn.toString('latin1');
      const name = text.includes('Action: delayed') ? 'postfix-delayed.eml' : 'postfix-unknown-user.eml';
      writeFileSync(join(OUT, name), dsn);
      console.log(`wrote ${name} (${dsn.length} bytes)`);
    }
  } finally {
    client.close();
    await stack.stop();
  }
}

await main();
