/**
 * One SMTP connection (nodemailer's SMTPConnection) that sends already-composed bytes and says
 * how each attempt ended, in the terms the ledger needs:
 *   sent       the server answered 250 to the message;
 *   temporary  not delivered, try again later (4xx, or the connection failed before the whole
 *              message was handed over);
 *   permanent  not delivered, do not retry (5xx);
 *   unknown    the connection failed after the server invited the message (354): it may
 *              have been accepted, so it must not be re-sent automatically;
 *   throttled  the relay asked us to slow down (rate limit): not delivered, try again later
 *              without counting it as a failure;
 *   fatal      nothing can be sent with these settings (authentication, TLS or the relay's
 *              certificate failed); `advice` names the setting to fix.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { maskAddressesInText } from '../util/mask.js';
import { LoginGate } from './login-gate.js';
import {
  describeSmtpError,
  isRateLimit,
  type SettingsProblem,
  type SmtpError,
  settingsProblem,
} from './smtp-errors.js';

export { describeSmtpError };

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  pass?: string | undefined;
  /** Refuse to AUTH or send a message over a connection that is not encrypted (STARTTLS or secure). */
  requireTLS?: boolean;
  /** PEM CA certificates to trust for the relay (a private CA); they replace the public roots for this connection. */
  ca?: string | undefined;
  /** Socket inactivity limit; a relay that stops answering mid-message is given up on after this. */
  socketTimeoutMs?: number;
}

export type AttemptOutcome =
  | { kind: 'sent'; response: string }
  | { kind: 'temporary' | 'permanent' | 'unknown' | 'throttled'; error: string; responseCode?: number }
  | { kind: 'fatal'; error: string; responseCode?: number; problem: SettingsProblem; advice: string };

export interface Envelope {
  from: string;
  to: string;
}

/** How a failed connection or transaction ends for the ledger (see the kinds above). */
export function failureOutcome(e: SmtpError, dataStarted: boolean): Exclude<AttemptOutcome, { kind: 'sent' }> {
  const error = describeSmtpError(e);
  const responseCode = e.responseCode ? { responseCode: e.responseCode } : {};
  const settings = settingsProblem(e);
  if (settings !== undefined) return { kind: 'fatal', error, ...responseCode, ...settings };
  if (isRateLimit(e)) return { kind: 'throttled', error, ...responseCode };
  const code = e.responseCode;
  if (code !== undefined && code >= 500) return { kind: 'permanent', error, ...responseCode };
  if (code !== undefined && code >= 400) return { kind: 'temporary', error, ...responseCode };
  // No reply code: the connection failed. Once the server has said 354 the message was (at
  // least partly) handed over and may have been accepted: that outcome is unknown.
  return { kind: dataStarted ? 'unknown' : 'temporary', error };
}

function dataPhaseStarted(connection: SMTPConnection): boolean {
  return typeof connection.lastServerResponse === 'string' && connection.lastServerResponse.startsWith('354');
}

export class SmtpClient {
  private connection: SMTPConnection | undefined;
  private closed = false;

  /** `gate` is shared by the connections of one send (login-gate.ts); a lone client has its own. */
  constructor(
    private readonly settings: SmtpSettings,
    private readonly gate: LoginGate = new LoginGate(),
  ) {}

  private async open(): Promise<SMTPConnection> {
    if (this.connection !== undefined) return this.connection;
    const trying = await this.gate.enter();
    try {
      const connection = await this.connect();
      if (trying) this.gate.succeeded();
      return connection;
    } catch (error) {
      this.gate.failed(error as SmtpError, settingsProblem(error as SmtpError) !== undefined, trying);
      throw error;
    }
  }

  private connect(): Promise<SMTPConnection> {
    this.closed = false;
    const { host, port, secure, user, pass, requireTLS, ca } = this.settings;
    const connection = new SMTPConnection({
      host,
      port,
      secure,
      requireTLS: requireTLS === true,
      ...(ca === undefined ? {} : { tls: { ca } }),
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: this.settings.socketTimeoutMs ?? 120_000,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      // Kept for the connection's whole life: an 'error' with no listener would crash the process.
      connection.on('error', (error: SmtpError) => {
        if (this.connection === connection) this.connection = undefined;
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      connection.once('end', () => {
        if (this.connection === connection) this.connection = undefined;
      });
      connection.connect((connectError) => {
        if (connectError) {
          settled = true;
          connection.close();
          reject(connectError);
          return;
        }
        if (user === undefined) {
          settled = true;
          this.connection = connection;
          resolve(connection);
          return;
        }
        connection.login({ user, pass: pass ?? '' }, (loginError) => {
          settled = true;
          if (loginError) {
            connection.close();
            reject(loginError);
            return;
          }
          this.connection = connection;
          resolve(connection);
        });
      });
    });
  }

  /** Connects and authenticates only (smtp-check). */
  async verify(): Promise<void> {
    await this.open();
  }

  async send(envelope: Envelope, message: Buffer): Promise<AttemptOutcome> {
    let connection: SMTPConnection;
    try {
      connection = await this.open();
    } catch (error) {
      return failureOutcome(error as SmtpError, false);
    }
    return new Promise((resolve) => {
      connection.send({ from: envelope.from, to: [envelope.to] }, message, (error, info) => {
        if (!error) {
          resolve({ kind: 'sent', response: maskAddressesInText(info?.response ?? '250') });
          return;
        }
        const e = error as SmtpError;
        const outcome = failureOutcome(e, e.responseCode === undefined && dataPhaseStarted(connection));
        // A refusal of the settings mid-run (the account locked, say) stops the other connections too.
        if (outcome.kind === 'fatal') this.gate.failed(e, true, false);
        resolve(outcome);
        this.afterFailure(connection);
      });
    });
  }

  /** After a refused transaction the connection is reset (RSET); if that fails it is dropped. */
  private afterFailure(connection: SMTPConnection): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    connection.reset((resetError) => {
      if (resetError) connection.close();
      else if (this.connection === undefined && !this.closed) this.connection = connection;
      else connection.quit();
    });
  }

  close(): void {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) connection.quit();
  }
}
