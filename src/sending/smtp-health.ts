/**
 * The SMTP health check (smtp-check, the scheduled health check): connect and authenticate, and
 * count the days until the credential expires. The result is kept for `status`, App Home and the
 * alerts, and audited.
 */
import type { Config } from '../config.js';
import { describeSmtpError, SmtpClient } from '../mail/smtp-client.js';
import { type SmtpError, settingsProblem } from '../mail/smtp-errors.js';
import { audit } from '../storage/audit.js';
import { recordHealth } from '../storage/health.js';
import type { StateDb } from '../storage/state-db.js';
import { localDateTime } from '../util/dates.js';
import { smtpSettings, TLS_DISABLED_WARNING, type TlsPolicy, tlsPolicy } from './transport.js';

export const CREDENTIAL_WARNING_DAYS = 14;

export interface SmtpHealth {
  ok: boolean;
  host: string;
  port: number;
  authenticated: boolean;
  error: string | null;
  /** What to change when the relay refused the settings (names the variable). */
  advice: string | null;
  /** TLS before AUTH and messages: required, not needed (loopback relay, no AUTH), or turned off. */
  tls: TlsPolicy;
  /** Set when SMTP_REQUIRE_TLS=false. */
  warning: string | null;
  /** What produced this result: smtp-check (or the scheduled check), or a live send. */
  source: 'check' | 'send';
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
  let advice: string | null = null;
  try {
    await client.verify();
  } catch (e) {
    error = describeSmtpError(e as SmtpError);
    advice = settingsProblem(e as SmtpError)?.advice ?? null;
  } finally {
    client.close();
  }
  return smtpHealth(config, ctx.now(), { error, advice, source: 'check' });
}

function smtpHealth(
  config: Config,
  now: Date,
  outcome: { error: string | null; advice: string | null; source: SmtpHealth['source'] },
): SmtpHealth {
  const expires = config.SMTP_CREDENTIAL_EXPIRES_AT ?? null;
  const today = localDateTime(now, config.STUDY_TZ).date;
  const days =
    expires === null
      ? null
      : Math.round((Date.parse(`${expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  const expiring = days !== null && days <= CREDENTIAL_WARNING_DAYS;
  const tls = tlsPolicy(config);
  return {
    ok: outcome.error === null && !(days !== null && days < 0),
    host: config.SMTP_HOST ?? '',
    port: config.SMTP_PORT,
    authenticated: outcome.error === null && config.SMTP_USER !== undefined,
    error: outcome.error,
    advice: outcome.advice,
    tls,
    warning: tls === 'disabled' ? TLS_DISABLED_WARNING : null,
    source: outcome.source,
    credential_expires_at: expires,
    days_until_credential_expiry: days,
    credential_expiring: expiring,
    checked_at: now.toISOString(),
  };
}

/**
 * What a live send learnt about the relay, for `status` and App Home: it works if a message was
 * accepted; it is failing if the run paused because of the relay. Nothing otherwise.
 */
export function recordSendHealth(
  db: StateDb,
  config: Config,
  now: Date,
  result: { sentNow: number; relayProblem?: string | undefined },
): void {
  if (result.relayProblem === undefined && result.sentNow === 0) return;
  const error = result.relayProblem ?? null;
  const health = smtpHealth(config, now, { error, advice: error, source: 'send' });
  recordHealth(db, 'smtp', health.ok, health.checked_at, health);
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
