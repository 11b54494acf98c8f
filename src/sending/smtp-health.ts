/**
 * The SMTP health check (smtp-check, the scheduled health check): connect and authenticate, and
 * count the days until the credential expires. The result is kept for `status`, App Home and the
 * alerts, and audited.
 */
import type { Config } from '../config.js';
import { describeSmtpError, SmtpClient } from '../mail/smtp-client.js';
import { audit } from '../storage/audit.js';
import { recordHealth } from '../storage/health.js';
import type { StateDb } from '../storage/state-db.js';
import { localDateTime } from '../util/dates.js';
import { smtpSettings } from './transport.js';

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

export async function checkSmtp(ctx: { config: Config; now: () => Date }): Promise<SmtpHealth> {
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

/** Stores the result for `status`, App Home and alerts, and audits the check. */
export function recordSmtpHealth(
  ctx: { stateDb: () => StateDb; actor: string; now: () => Date },
  health: SmtpHealth,
): void {
  const db = ctx.stateDb();
  recordHealth(db, 'smtp', health.ok, health.checked_at, health);
  audit(db, { actor: ctx.actor, action: 'smtp_check', detail: { ok: health.ok, error: health.error } }, ctx.now());
}
