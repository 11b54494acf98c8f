/** The relay connection a live send uses, built from the configuration. */
import { type Config, SMTP_HOST_MISSING } from '../config.js';
import { ConfigError } from '../errors.js';
import { LoginGate } from '../mail/login-gate.js';
import type { SmtpSettings } from '../mail/smtp-client.js';
import { SmtpClient } from '../mail/smtp-client.js';
import { isLoopbackHost } from '../util/net.js';
import type { MessageTransport } from './types.js';

/**
 * Whether TLS is required before AUTH and before any message: yes, unless SMTP_REQUIRE_TLS=false
 * or the relay is on this machine and nothing secret is sent to it (no SMTP_USER).
 */
export type TlsPolicy = 'required' | 'loopback-without-auth' | 'disabled';

export function tlsPolicy(config: Config): TlsPolicy {
  if (!config.SMTP_REQUIRE_TLS) return 'disabled';
  if (config.SMTP_USER === undefined && config.SMTP_HOST !== undefined && isLoopbackHost(config.SMTP_HOST))
    return 'loopback-without-auth';
  return 'required';
}

export const TLS_DISABLED_WARNING =
  'SMTP_REQUIRE_TLS=false: the password and every message may cross the network unencrypted if the relay (or anyone in between) does not offer STARTTLS. Remove SMTP_REQUIRE_TLS=false unless this network is trusted.';

/** The relay settings from the configuration (SMTP_HOST must be set; callers check first). */
export function smtpSettings(config: Config, socketTimeoutMs?: number): SmtpSettings {
  if (config.SMTP_HOST === undefined) throw new ConfigError([SMTP_HOST_MISSING]);
  return {
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    user: config.SMTP_USER,
    pass: config.SMTP_PASS,
    requireTLS: tlsPolicy(config) === 'required',
    ca: config.smtpTlsCa,
    ...(socketTimeoutMs === undefined ? {} : { socketTimeoutMs }),
  };
}

/** A new connection to the relay for each worker of a send; they share one login gate. */
export function smtpTransportFactory(config: Config): () => MessageTransport {
  const settings = smtpSettings(config);
  const gate = new LoginGate();
  return () => new SmtpClient(settings, gate);
}
