/** The bounce-related render settings from the configuration. */
import type { Config } from '../config.js';
import { parseMailbox } from '../mail/address.js';

export function bounceSettings(config: Config): {
  returnPath?: string;
  unsubscribeTo?: string;
  tokenSecret?: string;
  publicUrl?: string;
} {
  const from = config.MAIL_FROM === undefined ? undefined : parseMailbox(config.MAIL_FROM)?.address;
  const returnPath = config.MAIL_RETURN_PATH;
  const unsubscribeTo = config.MAIL_UNSUBSCRIBE_TO ?? config.MAIL_REPLY_TO ?? from;
  return {
    ...(returnPath === undefined ? {} : { returnPath }),
    ...(unsubscribeTo === undefined ? {} : { unsubscribeTo }),
    ...(config.BOUNCE_TOKEN_SECRET === undefined ? {} : { tokenSecret: config.BOUNCE_TOKEN_SECRET }),
    ...(config.PUBLIC_URL === undefined ? {} : { publicUrl: config.PUBLIC_URL }),
  };
}
