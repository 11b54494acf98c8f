/**
 * Configuration: read once, from an env object the entry point passes in (.env merged under the
 * process environment). Every problem is reported at once, by variable name, with the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Zod from 'zod/mini';
import { ConfigError, type ConfigProblem, type PathSetting } from './errors.js';
import { parseMailbox } from './mail/address.js';
import { SECRET_VARIABLES } from './secrets.js';
import { requireZod } from './util/commonjs.js';
import { isIsoDate, isValidTimeZone, parseClockTime } from './util/dates.js';
import { lookalikeNames } from './util/env-names.js';

const { z } = requireZod();

/** A `+` in the local part: MAIL_RETURN_PATH asks for per-message tags. */
function hasTagSlot(address: string | undefined): boolean {
  return address?.slice(0, address.lastIndexOf('@')).includes('+') ?? false;
}

export type Env = Record<string, string | undefined>;

export const DEFAULT_COMPLIANCE_DB_PATH = 'fixtures/compliance.db';
export const DEFAULT_PARTICIPANTS_CSV_PATH = 'fixtures/participants.csv';

const emailAddress = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

// zod's functional form (zod/mini): its schemas are built in about half the time of the chained
// form's, and this schema is built at every command's start (util/commonjs.ts).
const optionalText = z.optional(z.string());
/** A whole number of a setting, coerced from its text (checks in this order: whole, at least, at most). */
const wholeNumber = (error: string, min: { value: number; error: string }, max: { value: number; error: string }) =>
  z.coerce
    .number({ error })
    .check(z.int({ error }), z.gte(min.value, { error: min.error }), z.lte(max.value, { error: max.error }));
const intInRange = (min: number, max: number, fallback: number) =>
  z._default(
    wholeNumber(
      `must be a whole number from ${min} to ${max}`,
      { value: min, error: `must be at least ${min}` },
      { value: max, error: `must be at most ${max}` },
    ),
    fallback,
  );
const bool = (fallback: boolean) =>
  z.pipe(
    z._default(
      z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }),
      fallback ? 'true' : 'false',
    ),
    z.transform((v: 'true' | 'false' | '1' | '0' | 'yes' | 'no') => v === 'true' || v === '1' || v === 'yes'),
  );
const address = z
  .string()
  .check(z.regex(emailAddress, { error: 'must be an e-mail address such as study@example.org' }));
const timeZone = z
  .string()
  .check(z.refine(isValidTimeZone, { error: 'must be an IANA time zone such as Europe/London or America/New_York' }));
const idList = z.pipe(
  z.pipe(
    z.string(),
    z.transform((v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ),
  z.array(
    z
      .string()
      .check(z.regex(/^[UW][A-Z0-9]+$/, { error: 'must be Slack user IDs such as U012ABCDEF, comma-separated' })),
  ),
);
const cron = z.string().check(
  z.refine((v: string) => v.trim().split(/\s+/).length >= 5 && v.trim().split(/\s+/).length <= 6, {
    error: 'must be a cron expression with 5 fields, e.g. "0 9 * * *"',
  }),
);
const url = (example: string) => z.url({ error: `must be a URL such as ${example}` });

/** 127.0.0.0/8, ::1 and localhost: the only hosts a token may be sent to over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The API token travels in a header: https only, except to a stand-in on this machine. */
const qualtricsUrl = url('https://iad1.qualtrics.com').check(
  z.refine(
    (v: string) => {
      // zod runs this even when the URL check above failed: that failure is the message then.
      if (!URL.canParse(v)) return true;
      const { protocol, hostname } = new URL(v);
      return protocol === 'https:' || (protocol === 'http:' && isLoopbackHost(hostname));
    },
    {
      error:
        'must use https:// (the API token is sent with every request); plain http is accepted only for localhost / 127.0.0.1 / ::1. Use e.g. https://iad1.qualtrics.com',
    },
  ),
);

/**
 * PUBLIC_URL: the bot's public base, printed in every message's List-Unsubscribe. https only
 * (RFC 8058 requires it, and the token in the URL must not cross the network in clear); no
 * query or fragment, since /unsubscribe?t=… is appended. Normalised without a trailing "/".
 */
const publicUrl = z.pipe(
  z.string().check(
    z.refine(
      (v: string) => {
        try {
          const u = new URL(v);
          return u.protocol === 'https:' && u.hostname !== '' && u.search === '' && u.hash === '' && u.username === '';
        } catch {
          return false;
        }
      },
      {
        error:
          "must be the https:// address where the bot's listener is reachable from the internet, without query or fragment, e.g. https://mail-updater.example.org (one-click unsubscribe links point at PUBLIC_URL/unsubscribe)",
      },
    ),
  ),
  z.transform((v: string) => new URL(v).href.replace(/\/+$/, '')),
);

const schema = z.object({
  COMPLIANCE_DB_PATH: z._default(z.string(), DEFAULT_COMPLIANCE_DB_PATH),
  PARTICIPANTS_CSV_PATH: z._default(z.string(), DEFAULT_PARTICIPANTS_CSV_PATH),
  COMPLIANCE_QUERY_PATH: optionalText,
  TEMPLATE_DIR: optionalText,
  STATE_DB_PATH: z._default(z.string(), 'var/mail-updater.db'),
  OUTBOX_DIR: z._default(z.string(), 'outbox'),
  RETENTION_DAYS: z.optional(
    wholeNumber(
      'must be a whole number of days (1 or more); unset keeps everything',
      { value: 1, error: 'must be at least 1 (unset it to keep everything)' },
      { value: 36_500, error: 'must be at most 36500' },
    ),
  ),
  STUDY_TZ: z._default(timeZone, 'UTC'),
  // Named in the participant's e-mail (subject, header, footer); unset: "your study update".
  STUDY_NAME: optionalText,
  // Address or phone in the e-mail's footer, for questions and for stopping the e-mails.
  STUDY_CONTACT: optionalText,
  MAIL_FROM: z.optional(
    z.string().check(
      z.refine((v: string) => parseMailbox(v) !== undefined, {
        error: 'must be an address or "Name <address>", e.g. "Study Team <study@example.org>"',
      }),
    ),
  ),
  MAIL_REPLY_TO: z.optional(address),
  MAIL_REDIRECT_TO: z.optional(address),
  MAIL_RETURN_PATH: z.optional(address),
  MAIL_UNSUBSCRIBE_TO: z.optional(address),
  PUBLIC_URL: z.optional(publicUrl),
  BOUNCE_TOKEN_SECRET: z.optional(
    z
      .string()
      .check(
        z.minLength(16, { error: 'must be at least 16 characters: use a random value, e.g. openssl rand -hex 32' }),
      ),
  ),
  IMAP_HOST: optionalText,
  IMAP_PORT: intInRange(1, 65535, 993),
  IMAP_SECURE: bool(true),
  IMAP_USER: optionalText,
  IMAP_PASS: optionalText,
  IMAP_MAILBOX: z._default(z.string(), 'INBOX'),
  IMAP_DONE_MAILBOX: optionalText,
  IMAP_TLS_CA_FILE: optionalText,
  SCHEDULE_BOUNCE_CRON: z.optional(cron),
  // Alert when a day's hard bounces exceed this share of its sent messages (0: any bounce).
  BOUNCE_ALERT_PERCENT: z._default(
    z.coerce
      .number({ error: 'must be a percentage from 0 to 100, such as 5 (no % sign)' })
      .check(
        z.gte(0, { error: 'must be a percentage from 0 to 100, such as 5 (no % sign)' }),
        z.lte(100, { error: 'must be a percentage from 0 to 100, such as 5 (no % sign)' }),
      ),
    5,
  ),
  SMTP_HOST: optionalText,
  SMTP_PORT: intInRange(1, 65535, 587),
  SMTP_SECURE: bool(false),
  SMTP_USER: optionalText,
  SMTP_PASS: optionalText,
  SMTP_REQUIRE_TLS: bool(true),
  SMTP_TLS_CA_FILE: optionalText,
  SMTP_MAX_CONNECTIONS: intInRange(1, 100, 5),
  SMTP_RATE_PER_SECOND: intInRange(0, 100_000, 0),
  SMTP_RATE_PER_MINUTE: z.optional(
    wholeNumber(
      'must be a whole number of messages a minute, at least 1',
      { value: 1, error: 'must be at least 1 (leave it unset for no per-minute limit)' },
      { value: 6_000_000, error: 'must be at most 6000000' },
    ),
  ),
  SEND_MAX_ATTEMPTS: intInRange(1, 20, 3),
  SEND_RETRY_BACKOFF_MS: intInRange(0, 600_000, 2000),
  SEND_PAUSE_AFTER_FAILURES: intInRange(1, 100_000, 10),
  SMTP_CREDENTIAL_EXPIRES_AT: z.optional(
    z.string().check(z.refine(isIsoDate, { error: 'must be a date in the form YYYY-MM-DD' })),
  ),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_CHANNEL_ID: z.optional(
    z
      .string()
      .check(z.regex(/^[CGD][A-Z0-9]+$/, { error: 'must be a Slack channel ID such as C012ABCDEF (not a #name)' })),
  ),
  SLACK_APPROVER_IDS: z.optional(idList),
  SLACK_OPERATOR_IDS: z.optional(idList),
  SLACK_API_URL: z.optional(url('https://slack.com/api/')),
  PORT: intInRange(0, 65535, 3000),
  HOST: z._default(z.string(), '0.0.0.0'),
  HEALTH_SLACK_FAILING_MINUTES: intInRange(0, 24 * 60, 10),
  ALLOW_SELF_APPROVAL: bool(false),
  APPROVAL_TTL_HOURS: intInRange(1, 24 * 14, 12),
  SEND_DEADLINE: z._default(z.string(), '21:00').check(
    z.refine((v: string) => parseClockTime(v) !== undefined, {
      error: 'must be a local time HH:MM such as 21:00',
    }),
  ),
  SCHEDULE_DAILY_CRON: z._default(cron, '0 9 * * *'),
  SCHEDULE_HEALTH_CRON: z._default(cron, '0 * * * *'),
  SCHEDULE_SYNC_CRON: z.optional(cron),
  SCHEDULE_REPORT_CRON: z._default(cron, '30 9 * * 1'),
  ONBOARDING_GRACE_DAYS: intInRange(1, 365, 3),
  QUALTRICS_BASE_URL: z.optional(qualtricsUrl),
  QUALTRICS_API_TOKEN: optionalText,
  QUALTRICS_SURVEY_ID: z.optional(
    z.string().check(z.regex(/^SV_[A-Za-z0-9]+$/, { error: 'must be a survey ID such as SV_1234abcd' })),
  ),
  QUALTRICS_EXPORT_TIMEOUT_S: intInRange(5, 24 * 3600, 300),
  QUALTRICS_FIELD_MAP: z._default(z.string(), 'did=DID,email=Email,first_name=FirstName'),
  LOG_LEVEL: z._default(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
    'info',
  ),
});

type Parsed = Zod.output<typeof schema>;

export interface Config extends Omit<Parsed, 'SLACK_OPERATOR_IDS' | 'SLACK_APPROVER_IDS' | 'SEND_DEADLINE'> {
  SLACK_APPROVER_IDS: string[];
  SLACK_OPERATOR_IDS: string[];
  /** SEND_DEADLINE as minutes after local midnight. */
  sendDeadlineMinutes: number;
  SEND_DEADLINE: string;
  /** True when every Qualtrics variable is set. */
  qualtricsConfigured: boolean;
  /** The PEM text of SMTP_TLS_CA_FILE, read at load. */
  smtpTlsCa?: string;
  /** DATA_VARIABLES that were set (not defaulted): the demo fixture is never made alongside them. */
  explicitDataVariables?: readonly string[];
}

/** Settings that point at real study data. */
export const DATA_VARIABLES = [
  'COMPLIANCE_DB_PATH',
  'PARTICIPANTS_CSV_PATH',
  'COMPLIANCE_QUERY_PATH',
  'QUALTRICS_SURVEY_ID',
] as const;

/** Named in DESIGN.md but read elsewhere (or not yet): not typos. */
const DOCUMENTED_VARIABLES = [
  'SMTP_REQUIRE_TLS',
  'SMTP_TLS_CA_FILE',
  'SMTP_RATE_PER_MINUTE',
  'STUDY_NAME',
  'STUDY_CONTACT',
  'MAIL_RETURN_PATH',
  'MAIL_UNSUBSCRIBE_TO',
  'IMAP_HOST',
  'IMAP_PORT',
  'IMAP_SECURE',
  'IMAP_USER',
  'IMAP_PASS',
  'IMAP_PASS_FILE',
  'IMAP_MAILBOX',
  'IMAP_DONE_MAILBOX',
  'IMAP_TLS_CA_FILE',
  'SCHEDULE_BOUNCE_CRON',
  'BOUNCE_ALERT_PERCENT',
  'SCHEDULE_REPORT_CRON',
  'ONBOARDING_GRACE_DAYS',
];
const VARIABLE_PREFIXES = [
  'SMTP_',
  'MAIL_',
  'SLACK_',
  'STUDY_',
  'SEND_',
  'QUALTRICS_',
  'SCHEDULE_',
  'COMPLIANCE_',
  'PARTICIPANTS_',
  'TEMPLATE_',
  'IMAP_',
  'APPROVAL_',
  'PUBLIC_',
  'BOUNCE_',
];
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(schema.shape),
  ...SECRET_VARIABLES.map((name) => `${name}_FILE`),
  ...DOCUMENTED_VARIABLES,
]);

/** "SMPT_HOST is not a setting; did you mean SMTP_HOST?", for each look-alike in .env or the environment. */
export function settingNameWarnings(env: Env): string[] {
  return lookalikeNames(Object.keys(env), KNOWN_VARIABLES, VARIABLE_PREFIXES).map(
    ({ name, nearest }) => `${name} is not a mail-updater setting (ignored); did you mean ${nearest}?`,
  );
}

/**
 * systemd's LoadCredential=NAME:... puts the secret in $CREDENTIALS_DIRECTORY/NAME: used when
 * neither NAME nor NAME_FILE is set.
 */
function systemdCredential(directory: string | undefined, name: string, values: Env): string | undefined {
  if (directory === undefined || values[name] !== undefined) return undefined;
  const path = join(directory, name);
  return existsSync(path) ? path : undefined;
}

/** Empty values count as unset, the way most .env files are written. */
function normalise(env: Env): { values: Env; problems: ConfigProblem[] } {
  const values: Env = {};
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') values[key] = value.trim();
  }
  for (const name of SECRET_VARIABLES) {
    const filePath = values[`${name}_FILE`] ?? systemdCredential(values.CREDENTIALS_DIRECTORY, name, values);
    if (filePath === undefined) continue;
    if (values[name] !== undefined) {
      problems.push({ variable: name, message: `both ${name} and ${name}_FILE are set; keep only one.` });
      continue;
    }
    try {
      values[name] = readFileSync(filePath, 'utf8').trim();
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      problems.push({
        variable: `${name}_FILE`,
        message: `cannot read ${filePath} (${reason}); point it at a readable file holding the value.`,
      });
    }
  }
  return { values, problems };
}

export function loadConfig(env: Env): Config {
  const { values, problems } = normalise(env);
  const result = schema.safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      problems.push({ variable, message: `${issue.message} (got "${redactIfSecret(variable, values[variable])}").` });
    }
  }
  if (result.success && hasTagSlot(result.data.MAIL_RETURN_PATH) && result.data.BOUNCE_TOKEN_SECRET === undefined)
    problems.push({
      variable: 'BOUNCE_TOKEN_SECRET',
      message:
        'is not set although MAIL_RETURN_PATH asks for per-message tags ("+"); set it to a random value of 16+ characters (e.g. openssl rand -hex 32), or BOUNCE_TOKEN_SECRET_FILE.',
    });
  if (result.success && result.data.PUBLIC_URL !== undefined && result.data.BOUNCE_TOKEN_SECRET === undefined)
    problems.push({
      variable: 'BOUNCE_TOKEN_SECRET',
      message:
        'is not set although PUBLIC_URL asks for one-click unsubscribe links (each carries a token made with it); set it to a random value of 16+ characters (e.g. openssl rand -hex 32), or BOUNCE_TOKEN_SECRET_FILE.',
    });
  const smtpTlsCa = readCaFile('SMTP_TLS_CA_FILE', values.SMTP_TLS_CA_FILE, problems);
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const parsed = result.data;
  const approvers = parsed.SLACK_APPROVER_IDS ?? [];
  const qualtricsConfigured =
    parsed.QUALTRICS_BASE_URL !== undefined &&
    parsed.QUALTRICS_API_TOKEN !== undefined &&
    parsed.QUALTRICS_SURVEY_ID !== undefined;
  return {
    ...parsed,
    SLACK_APPROVER_IDS: approvers,
    SLACK_OPERATOR_IDS: parsed.SLACK_OPERATOR_IDS ?? approvers,
    sendDeadlineMinutes: parseClockTime(parsed.SEND_DEADLINE) ?? 21 * 60,
    SCHEDULE_SYNC_CRON: parsed.SCHEDULE_SYNC_CRON ?? (qualtricsConfigured ? '30 8 * * *' : undefined),
    SCHEDULE_BOUNCE_CRON: parsed.SCHEDULE_BOUNCE_CRON ?? (parsed.IMAP_HOST !== undefined ? '*/15 * * * *' : undefined),
    qualtricsConfigured,
    ...(smtpTlsCa === undefined ? {} : { smtpTlsCa }),
    explicitDataVariables: DATA_VARIABLES.filter((name) => values[name] !== undefined),
  };
}

/** A PEM file of CA certificates, read now so that a bad path is a configuration error. */
function readCaFile(variable: string, path: string | undefined, problems: ConfigProblem[]): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    problems.push({
      variable,
      message: `cannot read ${path} (${reason}); point it at a readable PEM file with the CA certificate(s) that signed the relay's certificate.`,
    });
    return undefined;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push({
      variable,
      message: `${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); point it at the CA certificate(s) in PEM form.`,
    });
    return undefined;
  }
  return text;
}

function redactIfSecret(variable: string, value: string | undefined): string {
  if ((SECRET_VARIABLES as readonly string[]).includes(variable)) return '[redacted]';
  return value ?? '';
}

export const SMTP_HOST_MISSING: ConfigProblem = {
  variable: 'SMTP_HOST',
  message: 'is not set; set it to your SMTP relay, e.g. smtp.example.org.',
};

/** Settings a live send cannot do without, reported together. */
export function requireSendSettings(config: Config): void {
  const problems: ConfigProblem[] = [];
  if (config.SMTP_HOST === undefined) problems.push(SMTP_HOST_MISSING);
  if (config.MAIL_FROM === undefined)
    problems.push({
      variable: 'MAIL_FROM',
      message: 'is not set; set it to the From address, e.g. "Study Team <study@example.org>".',
    });
  if (config.SMTP_USER !== undefined && config.SMTP_PASS === undefined) {
    problems.push({
      variable: 'SMTP_PASS',
      message: 'is not set although SMTP_USER is; set it in .env or point SMTP_PASS_FILE at a file that holds it.',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The settings that name places on disk, for explaining a failed file operation (src/errors.ts). */
export function pathSettings(config: Config): PathSetting[] {
  return [
    {
      variable: 'OUTBOX_DIR',
      path: config.OUTBOX_DIR,
      fix: 'Point OUTBOX_DIR at a folder this user can create and write (previews, sent archives and send_log.jsonl go there), or fix its permissions or free disk space.',
    },
    {
      variable: 'PARTICIPANTS_CSV_PATH',
      path: config.PARTICIPANTS_CSV_PATH,
      fix: 'Check the permissions of the roster and of its folder (backups are written next to it) and the free disk space.',
    },
    stateDbSetting(config),
    ...(config.TEMPLATE_DIR === undefined
      ? []
      : [{ variable: 'TEMPLATE_DIR', path: config.TEMPLATE_DIR, fix: 'Point TEMPLATE_DIR at a readable folder.' }]),
  ];
}

export function stateDbSetting(config: Config): PathSetting {
  return {
    variable: 'STATE_DB_PATH',
    path: config.STATE_DB_PATH,
    fix: 'Point STATE_DB_PATH at a file this user can write (it is created if missing) on a disk with free space.',
  };
}
