/**
 * One SMTP connection (nodemailer's SMTPConnection) that sends already-composed bytes and says
 * how each attempt ended, in the terms the ledger needs:
 *   sent       the server answered 250 to the message;
 *   temporary  not delivered, try again later (4xx, or the connection failed before the whole
 *              message was handed over);
 *   permanent  not delivered, do not retry (5xx);
 *   unknown    the connection failed after the server invited the message (354): it may
 *              have been accepted, so it must not be re-sent automatically;
 *   fatal      nothing can be sent with these settings (authentication or TLS failed).
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { maskAddressesInText } from '../util/mask.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  pass?: string | undefined;
  /** Socket inactivity limit; a relay that stops answering mid-message is given up on after this. */
  socketTimeoutMs?: number;
}

export type AttemptOutcome =
  | { kind: 'sent'; response: string }
  | { kind: 'temporary' | 'permanent' | 'unknown' | 'fatal'; error: string; responseCode?: number };

export interface Envelope {
  from: string;
  to: string;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

const fatalCodes = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG']);

export function describeSmtpError(error: SmtpError): string {
  const detail = error.response ?? error.message;
  return maskAddressesInText(`${error.code ? `${error.code}: ` : ''}${detail}`).slice(0, 500);
}

function dataPhaseStarted(connection: SMTPConnection): boolean {
  return typeof connection.lastServerResponse === 'string' && connection.lastServerResponse.startsWith('354');
}

export class SmtpClient {
  private connection: SMTPConnection | undefined;
  private closed = false;

  constructor(private readonly settings: SmtpSettings) {}

  private open(): Promise<SMTPConnection> {
    if (this.connection !== undefined) return Promise.resolve(this.connection);
    this.closed = false;
    const { host, port, secure, user, pass } = this.settings;
    const connection = new SMTPConnection({
      host,
      port,
      secure,
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
      const e = error as SmtpError;
      return {
        kind: fatalCodes.has(e.code ?? '') ? 'fatal' : 'temporary',
        error: describeSmtpError(e),
        ...(e.responseCode ? { responseCode: e.responseCode } : {}),
      };
    }
    return new Promise((resolve) => {
      connection.send({ from: envelope.from, to: [envelope.to] }, message, (error, info) => {
        if (!error) {
          resolve({ kind: 'sent', response: maskAddressesInText(info?.response ?? '250') });
          return;
        }
        const e = error as SmtpError;
        const code = e.responseCode;
        if (code !== undefined && code >= 500)
          resolve({ kind: 'permanent', error: describeSmtpError(e), responseCode: code });
        else if (code !== undefined && code >= 400)
          resolve({ kind: 'temporary', error: describeSmtpError(e), responseCode: code });
        // No reply code: the connection failed. Once the server has said 354 the message was (at
        // least partly) handed over and may have been accepted: that outcome is unknown.
        else resolve({ kind: dataPhaseStarted(connection) ? 'unknown' : 'temporary', error: describeSmtpError(e) });
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
