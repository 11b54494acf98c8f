/**
 * The bounce mailbox over IMAP (imapflow), behind a small interface so check.ts does not know
 * the protocol. TLS is required (implicit, or STARTTLS that must succeed) except on loopback.
 * Sources are fetched with BODY.PEEK (nothing is marked read by reading) and never beyond the
 * cap; the protocol reader's own literal limit is set just above it.
 */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { type Config, isLoopbackHost } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';

export interface MailboxEntry {
  uid: number;
  size: number;
}

export interface BounceMailbox {
  readonly uidValidity: string;
  /** Messages with a UID above `afterUid`, oldest first (UID and size only). */
  listAfter(afterUid: number): Promise<MailboxEntry[]>;
  /**
   * The sources of a batch of messages, in one FETCH (BODY.PEEK, each cut at `maxBytes`); a
   * message that vanished meanwhile is absent. The caller bounds the batch (check.ts).
   */
  sources(uids: readonly number[], maxBytes: number): Promise<Map<number, Buffer>>;
  /** Flags the messages \Seen and, when IMAP_DONE_MAILBOX is set, moves them there. */
  markHandled(uids: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

export function requireImapSettings(config: Config): void {
  const problems = [];
  if (config.IMAP_HOST === undefined)
    problems.push({
      variable: 'IMAP_HOST',
      message: 'is not set; set it to the host of the mailbox bounces arrive in.',
    });
  if (config.IMAP_USER === undefined)
    problems.push({ variable: 'IMAP_USER', message: 'is not set; set it to the bounce mailbox login.' });
  if (config.IMAP_PASS === undefined)
    problems.push({
      variable: 'IMAP_PASS',
      message: 'is not set; set it in .env or point IMAP_PASS_FILE at a file that holds it.',
    });
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * A connection refused for want of TLS is a settings problem (exit 2, naming the variable), and
 * the password was not sent: imapflow fails before LOGIN when required STARTTLS is not offered,
 * and an implicit-TLS handshake fails before anything is said.
 */
function explainConnectError(error: unknown, config: Config, loopback: boolean): unknown {
  const e = error as {
    tlsFailed?: boolean;
    authenticationFailed?: boolean;
    code?: string;
    message?: string;
    responseText?: string;
    serverResponseCode?: string;
  };
  const where = `${config.IMAP_HOST}:${config.IMAP_PORT}`;
  if (e.tlsFailed === true && !config.IMAP_SECURE)
    return new ConfigError([
      {
        variable: 'IMAP_SECURE',
        message: `is false and the IMAP server at ${where} did not offer STARTTLS (${e.message ?? 'no detail'}), so the password was not sent${loopback ? '' : ' (TLS is required off this machine)'}. Use the server's TLS port (IMAP_SECURE=true, usually IMAP_PORT=993) or a port that offers STARTTLS.`,
      },
    ]);
  const tlsHandshake =
    e.code === 'EPROTO' ||
    (e.code?.startsWith('ERR_SSL_') ?? false) ||
    /wrong version number|ssl3_get_record/i.test(e.message ?? '');
  if (config.IMAP_SECURE && tlsHandshake)
    return new ConfigError([
      {
        variable: 'IMAP_SECURE',
        message: `is true but the TLS handshake with ${where} failed (${e.code ?? e.message ?? 'no detail'}), so the password was not sent. IMAP_PORT must be the server's implicit-TLS port (usually 993); for a STARTTLS port (usually 143) set IMAP_SECURE=false.`,
      },
    ]);
  if (e.authenticationFailed === true)
    return new ConfigError([
      {
        variable: 'IMAP_USER',
        message: `or IMAP_PASS is wrong: the IMAP server at ${where} refused the login (${serverSaid(e)}). Check both (IMAP_PASS_FILE, if set, must hold the password alone).`,
      },
    ]);
  const reason = NETWORK_REASONS[e.code ?? ''];
  if (reason !== undefined)
    return new UsageError(
      `Could not reach the bounce mailbox at ${where}: ${reason} (${e.code}). Check IMAP_HOST and IMAP_PORT, and that the server is up; nothing was read or recorded, and the next check starts where the last one ended.`,
      'imap_unreachable',
    );
  return error;
}

/** Why a connection failed, by the code Node (socket, DNS) or imapflow sets. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens on that port)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved just now',
  ETIMEDOUT: 'the connection timed out',
  CONNECT_TIMEOUT: 'the connection timed out',
  GREETING_TIMEOUT: 'the server did not greet us in time',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the server closed the connection',
  ETIMEOUT: 'the server stopped answering',
  StateLogout: 'the server ended the session',
  NoConnection: 'the server closed the connection',
  EConnectionClosed: 'the server closed the connection',
  ClosedAfterConnectText: 'the server closed the connection right after connecting',
  ClosedAfterConnectTLS: 'the server closed the connection right after the TLS handshake',
};

/**
 * The server's own words, cut short and on one line: it is the configured server's text, not
 * participants' mail, but it ends up in a terminal or a Slack message.
 */
function serverSaid(e: { responseText?: string; serverResponseCode?: string; message?: string }): string {
  const text = (e.responseText ?? e.serverResponseCode ?? e.message ?? 'no detail').replace(/\p{Cc}+/gu, ' ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Whatever else went wrong talking to the server: still the server or its settings, never a bug of ours. */
function imapFailure(error: unknown, config: Config, during: string): UsageError {
  return new UsageError(
    `The IMAP server at ${config.IMAP_HOST}:${config.IMAP_PORT} failed ${during} (${serverSaid(error as { message?: string })}). Nothing was read or recorded; check the server and the IMAP_ settings, then run check-bounces again.`,
    'imap_failed',
  );
}

export async function openBounceMailbox(config: Config, maxBytes: number): Promise<BounceMailbox> {
  requireImapSettings(config);
  const host = config.IMAP_HOST!;
  const loopback = isLoopbackHost(host);
  const client = new ImapFlow({
    host,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    // Off loopback, a connection that cannot upgrade to TLS fails rather than send the password.
    doSTARTTLS: config.IMAP_SECURE ? undefined : !loopback,
    auth: { user: config.IMAP_USER!, pass: config.IMAP_PASS! },
    ...(config.IMAP_TLS_CA_FILE === undefined ? {} : { tls: { ca: readFileSync(config.IMAP_TLS_CA_FILE) } }),
    maxLiteralSize: maxBytes + 64 * 1024,
    maxResponseSize: maxBytes + 128 * 1024,
    logger: false,
  });
  try {
    await client.connect();
  } catch (error) {
    client.close();
    const explained = explainConnectError(error, config, loopback);
    throw explained === error ? imapFailure(error, config, 'while connecting') : explained;
  }
  let lock: Awaited<ReturnType<ImapFlow['getMailboxLock']>>;
  try {
    lock = await client.getMailboxLock(config.IMAP_MAILBOX);
  } catch (error) {
    await client.logout().catch(() => client.close());
    // The server's NO (or BAD) to SELECT: no such folder, or not ours to read. Anything else
    // (the connection dropped, a timeout) is the server's failure, said as such.
    const status = (error as { responseStatus?: string }).responseStatus;
    if (status !== 'NO' && status !== 'BAD')
      throw imapFailure(error, config, `while opening IMAP_MAILBOX=${config.IMAP_MAILBOX}`);
    throw new ConfigError([
      {
        variable: 'IMAP_MAILBOX',
        message: `is "${config.IMAP_MAILBOX}", which the IMAP server at ${config.IMAP_HOST}:${config.IMAP_PORT} could not open (${serverSaid(error as { message?: string })}). Set it to the folder bounces arrive in (INBOX by default).`,
      },
    ]);
  }
  const mailbox = client.mailbox;
  if (mailbox === false) throw new Error(`IMAP mailbox ${config.IMAP_MAILBOX} could not be opened.`);
  const done = config.IMAP_DONE_MAILBOX;
  return {
    uidValidity: String(mailbox.uidValidity),
    async listAfter(afterUid) {
      if (mailbox.exists === 0) return [];
      const entries: MailboxEntry[] = [];
      // `n:*` also returns the newest message when n is past the end: filter on the UID.
      for await (const m of client.fetch(`${afterUid + 1}:*`, { uid: true, size: true }, { uid: true })) {
        if (m.uid > afterUid) entries.push({ uid: m.uid, size: m.size ?? Number.MAX_SAFE_INTEGER });
      }
      return entries.sort((a, b) => a.uid - b.uid);
    },
    async sources(uids, max) {
      const out = new Map<number, Buffer>();
      if (uids.length === 0) return out;
      const range = uids.join(',');
      for await (const m of client.fetch(range, { uid: true, source: { start: 0, maxLength: max } }, { uid: true }))
        if (m.source !== undefined) out.set(m.uid, m.source);
      return out;
    },
    async markHandled(uids) {
      if (uids.length === 0) return;
      const range = uids.join(',');
      await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
      if (done !== undefined) await client.messageMove(range, done, { uid: true });
    },
    async close() {
      lock.release();
      await client.logout().catch(() => undefined);
    },
  };
}
