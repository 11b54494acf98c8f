/**
 * What an SMTP error means for a send: a rate limit (slow down, try again), a settings problem
 * (nothing can be sent until someone changes a setting: say which), or an ordinary failure.
 * The advice names the variable to fix; it never contains a secret.
 */
import { maskAddressesInText } from '../util/mask.js';

export interface SmtpError extends Error {
  code?: string;
  /** A system or TLS error's own code, kept by nodemailer when it sets its own (ESOCKET, ETLS). */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

export type SettingsProblem = 'auth' | 'tls-required' | 'certificate' | 'other';

export function describeSmtpError(error: SmtpError): string {
  const detail = error.response ?? error.message;
  return maskAddressesInText(`${error.code ? `${error.code}: ` : ''}${detail}`).slice(0, 500);
}

const certificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// nodemailer keeps only the message of a TLS error raised while upgrading with STARTTLS.
const certificateMessages: [RegExp, string][] = [
  [/self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/self[- ]signed certificate/i, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/unable to get issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT'],
  [/certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/certificate is not yet valid/i, 'CERT_NOT_YET_VALID'],
  [/does not match certificate's altnames/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
];

/** The certificate problem's code (SELF_SIGNED_CERT_IN_CHAIN, …), if this is one. */
export function certificateProblem(error: SmtpError): string | undefined {
  for (const code of [error.code, error.originalCode]) if (code && certificateCodes.has(code)) return code;
  return certificateMessages.find(([pattern]) => pattern.test(error.message ?? ''))?.[1];
}

const authCodes = new Set([530, 534, 535]);

export function isAuthFailure(error: SmtpError): boolean {
  return error.code === 'EAUTH' || error.code === 'ENOAUTH' || authCodes.has(error.responseCode ?? 0);
}

/** The relay asks us to slow down: 421, a 45x with enhanced code 4.7.x, or a 4xx about rates. */
export function isRateLimit(error: SmtpError): boolean {
  const code = error.responseCode;
  if (code === undefined || code < 400 || code >= 500) return false;
  if (code === 421) return true;
  const text = error.response ?? error.message ?? '';
  if (code >= 450 && code <= 452 && /^\d{3}[ -]4\.7\.\d{1,3}\b/.test(text)) return true;
  return /\brate\b|rate[- ]limit|too many|too much mail|throttl/i.test(text);
}

/** A failure no retry can fix: what is wrong and the setting to change, or undefined. */
export function settingsProblem(error: SmtpError): { problem: SettingsProblem; advice: string } | undefined {
  const detail = describeSmtpError(error);
  const cert = certificateProblem(error);
  if (cert !== undefined) {
    const fix =
      cert === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'set SMTP_HOST to a name the certificate is issued for (not an IP address or alias)'
        : cert === 'CERT_HAS_EXPIRED' || cert === 'CERT_NOT_YET_VALID'
          ? "ask the relay's operator to renew the certificate (and check this machine's clock)"
          : "if the relay uses a private or self-signed CA, point SMTP_TLS_CA_FILE at that CA's certificate (PEM); otherwise check SMTP_HOST is the real relay";
    return {
      problem: 'certificate',
      advice: `the relay's TLS certificate was not accepted (${cert}): ${detail}. Nothing was sent. To fix: ${fix}.`,
    };
  }
  const refusedStartTls =
    error.command === 'STARTTLS' ||
    /STARTTLS/.test(error.message ?? '') ||
    (error.code === 'ETLS' && /upgrading/i.test(error.message ?? ''));
  if (refusedStartTls && !/initiating TLS/i.test(error.message ?? ''))
    return {
      problem: 'tls-required',
      advice: `the relay did not offer TLS (STARTTLS), so neither the password nor any message was sent (${detail}). Use the relay's TLS port (SMTP_SECURE=true, usually SMTP_PORT=465) or one that offers STARTTLS; only on a network you trust, set SMTP_REQUIRE_TLS=false.`,
    };
  if (isAuthFailure(error))
    return {
      problem: 'auth',
      advice: `the relay refused the login (${detail}). Check SMTP_USER and SMTP_PASS (or SMTP_PASS_FILE); no other connection tried to log in, so the account is not locked out by retries.`,
    };
  if (error.code === 'ETLS' || error.code === 'EREQUIRETLS' || error.code === 'ECONFIG')
    return {
      problem: 'other',
      advice: `TLS could not be set up with the relay (${detail}). Check SMTP_HOST, SMTP_PORT and SMTP_SECURE (true for port 465, false for 587 with STARTTLS).`,
    };
  return undefined;
}
