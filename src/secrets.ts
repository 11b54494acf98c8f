/**
 * The one list of secret settings. config.ts accepts each as NAME or NAME_FILE and shows them as
 * [redacted]; logger.ts redacts them by key wherever they appear in a log line.
 */
export const SECRET_VARIABLES = [
  'SMTP_PASS',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'QUALTRICS_API_TOKEN',
  'IMAP_PASS',
  'BOUNCE_TOKEN_SECRET',
] as const;

export type SecretVariable = (typeof SECRET_VARIABLES)[number];
