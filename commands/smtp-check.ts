import { defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { checkSmtp, recordSmtpHealth, type SmtpHealth } from '../src/sending/smtp-health.js';
import { jsonFlag, noPositionals } from './options.js';

export function smtpHealthText(h: SmtpHealth): string {
  const expiry =
    h.days_until_credential_expiry === null
      ? 'credential expiry not configured (SMTP_CREDENTIAL_EXPIRES_AT)'
      : h.days_until_credential_expiry < 0
        ? `credential EXPIRED ${-h.days_until_credential_expiry} day(s) ago (${h.credential_expires_at}): renew it and update SMTP_PASS and SMTP_CREDENTIAL_EXPIRES_AT`
        : `credential expires in ${h.days_until_credential_expiry} day(s) (${h.credential_expires_at})${h.credential_expiring ? ': RENEW IT SOON' : ''}`;
  const tls =
    h.tls === 'required'
      ? 'TLS required before AUTH and messages'
      : h.tls === 'loopback-without-auth'
        ? 'TLS not required: relay on this machine and no SMTP_USER'
        : 'TLS NOT REQUIRED (SMTP_REQUIRE_TLS=false)';
  return [
    `SMTP ${h.host}:${h.port}: ${h.error === null ? `OK (${h.authenticated ? 'connected and authenticated' : 'connected; no SMTP_USER, so no AUTH'})` : `FAILED: ${h.error}`}`,
    `  ${tls}`,
    ...(h.warning === null ? [] : [`  WARNING: ${h.warning}`]),
    `  ${expiry}`,
    ...(h.error === null
      ? []
      : [
          h.advice === null
            ? '  Check SMTP_HOST, SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASS, and that this machine can reach the relay.'
            : `  To fix: ${h.advice}`,
        ]),
  ].join('\n');
}

export const smtpCheck = defineCommand({
  name: 'smtp-check',
  summary: 'Connect and authenticate to SMTP; report days until the credential expires.',
  usage: 'smtp-check [--json]',
  flags: { json: jsonFlag },
  parse: (_flags, positionals) => {
    noPositionals(positionals);
    return {};
  },
  async run(ctx) {
    const health = await checkSmtp(ctx);
    recordSmtpHealth(ctx, health);
    return health;
  },
  exitCode: (health) => (health.ok && !health.credential_expiring ? ExitCode.ok : ExitCode.problemsFound),
  text: smtpHealthText,
  json: (health) => health,
});
