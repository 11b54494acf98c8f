/** The relay connection a live send uses, built from the configuration. */
import { type Config, SMTP_HOST_MISSING } from '../config.js';
import { ConfigError } from '../errors.js';
import type { SmtpSettings } from '../mail/smtp-client.js';
import { SmtpClient } from '../mail/smtp-client.js';
import type { MessageTransport } from './types.js';

/** The relay settings from the configuration (SMTP_HOST must be set; callers check first). */
export function smtpSettings(config: Config, socketTimeoutMs?: number): SmtpSettings {
  if (config.SMTP_HOST === undefined) throw new ConfigError([SMTP_HOST_MISSING]);
  return {
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    user: config.SMTP_USER,
    pass: config.SMTP_PASS,
    ...(socketTimeoutMs === undefined ? {} : { socketTimeoutMs }),
  };
}

/** A new connection to the relay for each worker of a send. */
export function smtpTransportFactory(config: Config): () => MessageTransport {
  const settings = smtpSettings(config);
  return () => new SmtpClient(settings);
}
