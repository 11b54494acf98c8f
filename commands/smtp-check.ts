import { type CommandContext, defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { describeSmtpError, SmtpClient, smtpSettings } from '../src/mail/smtp-client.js';
import { audit } from '../src/storage/audit.js';
import { recordHealth } from '../src/storage/health.js';
import { localDateTime } from '../src/util/dates.js';
import { jsonFlag, noPositionals } from './options.js';

export const CREDENTIAL_WARNING_DAYS = 14;

export interface SmtpHealth {
  ok: boolean;
  host: string;
  port: number;
  authenticated: boolean;
  error: string | null;
  credential_expires_at: string | null;
  days_until_credential_expiry: number | null;
  credential_expiring: boolean;
  checked_at: string;
}

export async function checkSmtp(ctx: Pick<CommandContext, 'config' | 'now'>): Promise<SmtpHealth> {
  const { config } = ctx;
  const settings = smtpSettings(config, 15_000);
  const client = new SmtpClient(settings);
  let error: string | null = null;
  try {
    await client.verify();
  } catch (e) {
    error = describeSmtpError(e as Error);
  } finally {
    client.close();
  }
  const expires = config.SMTP_CREDENTIAL_EXPIRES_AT ?? null;
  const today = localDateTime(ctx.now(), config.STUDY_TZ).date;
  const days =
    expires === null
      ? null
      : Math.round((Date.parse(`${expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  const expiring = days !== null && days <= CREDENTIAL_WARNING_DAYS;
  return {
    ok: error === null && !(days !== null && days < 0),
    host: settings.host,
    port: config.SMTP_PORT,
    authenticated: error === null && config.SMTP_USER !== undefined,
    error,
    credential_expires_at: expires,
    days_until_credential_expiry: days,
    credential_expiring: expiring,
    checked_at: ctx.now().toISOString(),
  };
}

export function smtpHealthText(h: SmtpHealth): string {
  const expiry =
    h.days_until_credential_expiry === null
      ? 'credential expiry not configured (SMTP_CREDENTIAL_EXPIRES_AT)'
      : h.days_until_credential_expiry < 0
        ? `credential EXPIRED ${-h.days_until_credential_expiry} day(s) ago (${h.credential_expires_at}): renew it and update SMTP_PASS and SMTP_CREDENTIAL_EXPIRES_AT`
        : `credential expires in ${h.days_until_credential_expiry} day(s) (${h.credential_expires_at})${h.credential_expiring ? ': RENEW IT SOON' : ''}`;
  return [
    `SMTP ${h.host}:${h.port}: ${h.error === null ? `OK (${h.authenticated ? 'connected and authenticated' : 'connected; no SMTP_USER, so no AUTH'})` : `FAILED: ${h.error}`}`,
    `  ${expiry}`,
    ...(h.error === null
      ? []
      : [
          '  Check SMTP_HOST, SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASS, and that this machine can reach the relay.',
        ]),
  ].join('\n');
}

/** Stores the result for `status`, App Home and alerts, and audits the check. */
export function recordSmtpHealth(ctx: Pick<CommandContext, 'stateDb' | 'actor' | 'now'>, health: SmtpHealth): void {
  const db = ctx.stateDb();
  recordHealth(db, 'smtp', health.ok, health.checked_at, health);
  audit(db, { actor: ctx.actor, action: 'smtp_check', detail: { ok: health.ok, error: health.error } }, ctx.now());
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
    return {
      exitCode: health.ok && !health.credential_expiring ? ExitCode.ok : ExitCode.problemsFound,
      text: smtpHealthText(health),
      json: health,
    };
  },
});
