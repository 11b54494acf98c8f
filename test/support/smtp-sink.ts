/**
 * An in-process SMTP server (smtp-server) on loopback that records what it receives and can
 * misbehave on purpose, per recipient: reject with 550, defer with 451 a number of times, drop
 * the connection before the message (at RCPT TO) or after the whole message was sent (before
 * answering), and take a while to accept each message.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export type Behaviour =
  | { kind: 'accept' }
  | { kind: 'reject'; code?: number; message?: string }
  | { kind: 'defer'; times: number }
  | { kind: 'drop-before-data'; times?: number }
  | { kind: 'drop-after-data' };

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SinkOptions {
  /** Behaviour by recipient address (lower case); default accept. */
  behaviour?: (recipient: string) => Behaviour;
  /** Delay before answering each message's DATA, to model a real relay. */
  acceptDelayMs?: number;
  auth?: { user: string; pass: string };
  /**
   * STARTTLS: 'off' (default) neither offers nor accepts it, like a relay without TLS or a
   * man in the middle who strips it; 'hidden' does not offer it but accepts it (with smtp-server's
   * own self-signed certificate); a key and certificate offer it with those.
   */
  starttls?: 'off' | 'hidden' | { key: Buffer; cert: Buffer };
  /** Answer "450 4.7.0" (a rate limit) to the first this many recipients, whoever they are. */
  throttleFirst?: number;
  /** Keep the message bytes (off for throughput benchmarks). */
  keepMessages?: boolean;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMessage[];
  /** Count per recipient, for exactly-once checks. */
  deliveries: Map<string, number>;
  attempts: Map<string, number>;
  count: number;
  /** Connection errors the server reported (e.g. a killed client's reset). */
  errors: string[];
  /** AUTH attempts (whatever their outcome), and DATA commands the server got to (whatever happened). */
  authAttempts: number;
  dataCommands: number;
  /** Recipients answered with a rate limit (throttleFirst). */
  throttled: number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const behaviour = options.behaviour ?? (() => ({ kind: 'accept' }) as Behaviour);
  const deferred = new Map<string, number>();
  const sink: SmtpSink = {
    port: 0,
    received: [],
    deliveries: new Map(),
    attempts: new Map(),
    count: 0,
    errors: [],
    authAttempts: 0,
    dataCommands: 0,
    throttled: 0,
    close: async () => undefined,
  };
  const starttls = options.starttls ?? 'off';
  const disabled = [...(starttls === 'off' ? ['STARTTLS'] : []), ...(options.auth ? [] : ['AUTH'])];

  const server: SMTPServer = new SMTPServer({
    secure: false,
    disabledCommands: disabled,
    hideSTARTTLS: starttls !== 'off' && typeof starttls === 'string',
    ...(typeof starttls === 'object' ? { key: starttls.key, cert: starttls.cert } : {}),
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      sink.authAttempts++;
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
        callback(null, { user: auth.username });
      else callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address, session, callback) {
      const to = address.address.toLowerCase();
      sink.attempts.set(to, (sink.attempts.get(to) ?? 0) + 1);
      if (sink.throttled < (options.throttleFirst ?? 0)) {
        sink.throttled++;
        return callback(smtpError(450, '4.7.0 Too many messages, slow down'));
      }
      const b = behaviour(to);
      if (b.kind === 'reject')
        return callback(
          smtpError(b.code ?? 550, b.message ?? `5.1.1 <${to}>: Recipient address rejected: User unknown`),
        );
      if (b.kind === 'defer') {
        const seen = deferred.get(to) ?? 0;
        if (seen < b.times) {
          deferred.set(to, seen + 1);
          return callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        }
      }
      if (b.kind === 'drop-before-data') {
        const seen = deferred.get(to) ?? 0;
        if (b.times === undefined || seen < b.times) {
          deferred.set(to, seen + 1);
          return destroyConnection(server, session);
        }
      }
      callback();
    },
    onData(stream, session, callback) {
      sink.dataCommands++;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (options.keepMessages !== false) chunks.push(chunk);
      });
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        if (to.some((t) => behaviour(t).kind === 'drop-after-data')) return destroyConnection(server, session);
        const finish = (): void => {
          for (const t of to) sink.deliveries.set(t, (sink.deliveries.get(t) ?? 0) + 1);
          sink.count++;
          if (options.keepMessages !== false) {
            const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
            sink.received.push({ from, to, raw: Buffer.concat(chunks) });
          }
          callback(null, '2.0.0 Ok: queued');
        };
        if (options.acceptDelayMs) setTimeout(finish, options.acceptDelayMs);
        else finish();
      });
    },
  });

  // Clients that die mid-session (SIGKILL tests) reset their sockets; smtp-server reports that as
  // a server 'error', which would otherwise be an uncaught exception in the test process.
  server.on('error', (error: Error) => sink.errors.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Do not wait out smtp-server's 30 s grace period for clients a test left connected.
      for (const connection of connectionsOf(server)) connection._socket.destroy();
    });
  return sink;
}

/** smtp-server has no public way to cut one client off; tests reach for the connection's socket. */
function connectionsOf(server: SMTPServer): Set<{ session: SMTPServerSession; _socket: { destroy(): void } }> {
  return (server as unknown as { connections: Set<{ session: SMTPServerSession; _socket: { destroy(): void } }> })
    .connections;
}

function destroyConnection(server: SMTPServer, session: SMTPServerSession): void {
  for (const connection of connectionsOf(server)) if (connection.session === session) connection._socket.destroy();
}
