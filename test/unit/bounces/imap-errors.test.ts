/**
 * What check-bounces says when the IMAP server misbehaves in ways a real one can (a greeting and
 * then nonsense, a greeting and then silence on close): a usage error naming the server, never an
 * unexplained exception ("This is a bug"). A real Dovecot covers the ordinary paths
 * (test/integration/imap-paths.test.ts); this is a few lines of TCP for the odd ones.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openBounceMailbox } from '../../../src/bounces/imap-mailbox.js';
import { loadConfig } from '../../../src/config.js';
import { ConfigError, UsageError } from '../../../src/errors.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server that greets, then answers each tagged command with `reply(tag, command)` (or closes on undefined). */
async function fakeImap(reply: (tag: string, command: string) => string | undefined): Promise<number> {
  server = createServer((socket: Socket) => {
    socket.write('* OK fake IMAP ready\r\n');
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const [tag = '*', command = ''] = line.split(' ');
        const answer = reply(tag, command.toUpperCase());
        if (answer === undefined) socket.destroy();
        else socket.write(answer);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as { port: number }).port;
}

const configFor = (port: number) =>
  loadConfig({
    COMPLIANCE_DB_PATH: '/nonexistent/c.db',
    PARTICIPANTS_CSV_PATH: '/nonexistent/p.csv',
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(port),
    IMAP_SECURE: 'false',
    IMAP_USER: 'bounces',
    IMAP_PASS: 'secret-pass',
  });

async function failure(port: number): Promise<unknown> {
  return openBounceMailbox(configFor(port), 1024 * 1024).then(
    async (mailbox) => {
      await mailbox.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('IMAP servers that misbehave', () => {
  it('a server that answers BAD to everything: a usage error naming it, the password not echoed', async () => {
    const port = await fakeImap((tag) => `${tag} BAD nonsense\r\n`);
    const error = await failure(port);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('secret-pass');
  });

  it('a server that hangs up after the greeting: a usage error, not a crash', async () => {
    const port = await fakeImap(() => undefined);
    const error = await failure(port);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  const loginThen = (onSelect: (tag: string) => string | undefined) => (tag: string, command: string) => {
    if (command === 'CAPABILITY') return `* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`;
    if (command === 'SELECT' || command === 'EXAMINE') return onSelect(tag);
    return `${tag} OK\r\n`;
  };

  it('a server that refuses SELECT with BAD: the mailbox setting is named', async () => {
    const port = await fakeImap(loginThen((tag) => `${tag} BAD no such thing\r\n`));
    const error = await failure(port);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatchObject({ variable: 'IMAP_MAILBOX' });
  });

  it('a server that hangs up during SELECT: a usage error saying it failed opening the mailbox', async () => {
    const port = await fakeImap(loginThen(() => undefined));
    const error = await failure(port);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('imap_failed');
    expect((error as Error).message).toContain('while opening IMAP_MAILBOX=INBOX');
  });
});
