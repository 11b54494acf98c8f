import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, requireSendSettings, settingNameWarnings } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { editDistanceWithin, lookalikeNames } from '../../src/util/env-names.js';

const problemsOf = (fn: () => unknown): { variable: string; message: string }[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('works with no settings at all, using the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      COMPLIANCE_DB_PATH: 'fixtures/compliance.db',
      PARTICIPANTS_CSV_PATH: 'fixtures/participants.csv',
      STATE_DB_PATH: 'var/mail-updater.db',
      OUTBOX_DIR: 'outbox',
      STUDY_TZ: 'UTC',
      SMTP_PORT: 587,
      SMTP_SECURE: false,
      SMTP_MAX_CONNECTIONS: 5,
      SMTP_RATE_PER_SECOND: 0,
      SEND_MAX_ATTEMPTS: 3,
      PORT: 3000,
      HOST: '0.0.0.0',
      ALLOW_SELF_APPROVAL: false,
      APPROVAL_TTL_HOURS: 12,
      SEND_DEADLINE: '21:00',
      sendDeadlineMinutes: 21 * 60,
      SCHEDULE_DAILY_CRON: '0 9 * * *',
      SCHEDULE_HEALTH_CRON: '0 * * * *',
      QUALTRICS_EXPORT_TIMEOUT_S: 300,
      LOG_LEVEL: 'info',
    });
    expect(config.SCHEDULE_SYNC_CRON).toBeUndefined();
  });

  it('reports every problem at once, each by variable name', () => {
    const problems = problemsOf(() =>
      loadConfig({
        SMTP_PORT: 'abc',
        STUDY_TZ: 'Mars/Base',
        SMTP_SECURE: 'maybe',
        SEND_DEADLINE: '25:00',
        SLACK_CHANNEL_ID: '#study',
        MAIL_REDIRECT_TO: 'nobody',
        MAIL_FROM: 'Study Team',
      }),
    );
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'MAIL_FROM',
      'MAIL_REDIRECT_TO',
      'SEND_DEADLINE',
      'SLACK_CHANNEL_ID',
      'SMTP_PORT',
      'SMTP_SECURE',
      'STUDY_TZ',
    ]);
    expect(problems.find((p) => p.variable === 'MAIL_FROM')?.message).toMatch(/"Study Team <study@example.org>"/);
    expect(problems.find((p) => p.variable === 'STUDY_TZ')?.message).toMatch(/IANA time zone such as Europe\/London/);
  });

  it('reads secrets from NAME_FILE and never echoes a secret in an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-config-'));
    writeFileSync(join(dir, 'pass'), 's3cret\n');
    expect(loadConfig({ SMTP_PASS_FILE: join(dir, 'pass') }).SMTP_PASS).toBe('s3cret');
    const problems = problemsOf(() =>
      loadConfig({
        SMTP_PASS: 'inline',
        SMTP_PASS_FILE: join(dir, 'pass'),
        SLACK_BOT_TOKEN_FILE: join(dir, 'missing'),
      }),
    );
    expect(problems.map((p) => p.variable)).toEqual(['SMTP_PASS', 'SLACK_BOT_TOKEN_FILE']);
    expect(JSON.stringify(problems)).not.toContain('s3cret');
  });

  it('reads secrets from $CREDENTIALS_DIRECTORY/NAME (systemd LoadCredential=) when NAME and NAME_FILE are unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-creds-'));
    writeFileSync(join(dir, 'SMTP_PASS'), 'from-credential\n');
    writeFileSync(join(dir, 'SLACK_BOT_TOKEN'), 'xoxb-credential\n');
    const other = join(dir, 'other');
    writeFileSync(other, 'from-file\n');
    const config = loadConfig({ CREDENTIALS_DIRECTORY: dir, SLACK_BOT_TOKEN_FILE: other });
    expect(config.SMTP_PASS).toBe('from-credential');
    // An explicit NAME_FILE (or NAME) wins over the credential.
    expect(config.SLACK_BOT_TOKEN).toBe('from-file');
    expect(loadConfig({ CREDENTIALS_DIRECTORY: dir, SMTP_PASS: 'inline' }).SMTP_PASS).toBe('inline');
    // No credential of that name: still unset, no error.
    expect(loadConfig({ CREDENTIALS_DIRECTORY: dir }).QUALTRICS_API_TOKEN).toBeUndefined();
    expect(loadConfig({}).SMTP_PASS).toBeUndefined();
  });

  it('treats empty values as unset and lets operators default to approvers', () => {
    const config = loadConfig({ SLACK_API_URL: '', SLACK_APPROVER_IDS: 'U111, U222', SMTP_HOST: '  ' });
    expect(config.SLACK_API_URL).toBeUndefined();
    expect(config.SMTP_HOST).toBeUndefined();
    expect(config.SLACK_OPERATOR_IDS).toEqual(['U111', 'U222']);
  });

  it('names what a live send still needs', () => {
    const problems = problemsOf(() => requireSendSettings(loadConfig({ SMTP_USER: 'study' })));
    expect(problems.map((p) => p.variable)).toEqual(['SMTP_HOST', 'MAIL_FROM', 'SMTP_PASS']);
    expect(problems[2]?.message).toMatch(/SMTP_PASS_FILE/);
  });
});

describe('QUALTRICS_BASE_URL', () => {
  it('requires https, except for a stand-in on the loopback interface', () => {
    for (const ok of [
      'https://iad1.qualtrics.com',
      'http://127.0.0.1:8080',
      'http://127.9.0.3',
      'http://localhost:3000',
      'http://[::1]:4000',
    ])
      expect(loadConfig({ QUALTRICS_BASE_URL: ok }).QUALTRICS_BASE_URL).toBe(ok);
    for (const bad of ['http://iad1.qualtrics.com', 'http://10.0.0.5', 'http://127.0.0.1.example.com', 'ftp://x.org']) {
      const problems = problemsOf(() => loadConfig({ QUALTRICS_BASE_URL: bad }));
      expect(problems).toEqual([{ variable: 'QUALTRICS_BASE_URL', message: expect.stringContaining('https://') }]);
    }
    // Not a URL at all (the scheme left off): the setting is named, nothing thrown past it.
    for (const bad of ['iad1.qualtrics.com', 'notaurl', 'http://', 'https://a b']) {
      const problems = problemsOf(() => loadConfig({ QUALTRICS_BASE_URL: bad }));
      expect(problems, bad).toEqual([
        { variable: 'QUALTRICS_BASE_URL', message: expect.stringContaining('must be a URL') },
      ]);
    }
  });
});

describe('PUBLIC_URL', () => {
  const secret = { BOUNCE_TOKEN_SECRET: 'a-random-secret-of-enough-length' };

  it('takes an https base, with or without a path, and drops the trailing slash', () => {
    expect(loadConfig({ ...secret, PUBLIC_URL: 'https://bot.example.org/' }).PUBLIC_URL).toBe(
      'https://bot.example.org',
    );
    expect(loadConfig({ ...secret, PUBLIC_URL: 'https://example.org/mail-updater/' }).PUBLIC_URL).toBe(
      'https://example.org/mail-updater',
    );
    expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
  });

  it('refuses anything but an https URL (no query or fragment), naming the variable and the fix', () => {
    for (const value of [
      'http://bot.example.org',
      'bot.example.org',
      'https://bot.example.org/?a=1',
      'ftp://x.org',
      'http://127.0.0.1:3000',
    ]) {
      const problems = problemsOf(() => loadConfig({ ...secret, PUBLIC_URL: value }));
      expect(problems, value).toHaveLength(1);
      expect(problems[0]!.variable).toBe('PUBLIC_URL');
      expect(problems[0]!.message).toContain('must be the https:// address');
      expect(problems[0]!.message).toContain(`(got "${value}")`);
    }
  });

  it('needs BOUNCE_TOKEN_SECRET: every link carries a token made with it', () => {
    const problems = problemsOf(() => loadConfig({ PUBLIC_URL: 'https://bot.example.org' }));
    expect(problems).toEqual([
      { variable: 'BOUNCE_TOKEN_SECRET', message: expect.stringContaining('although PUBLIC_URL asks for one-click') },
    ]);
  });

  it('is known to the typo hints', () => {
    expect(settingNameWarnings({ PUBLIC_ULR: 'https://x.org' })).toEqual([
      'PUBLIC_ULR is not a mail-updater setting (ignored); did you mean PUBLIC_URL?',
    ]);
    expect(settingNameWarnings({ PUBLIC_URL: 'https://x.org' })).toEqual([]);
  });
});

describe('look-alike setting names', () => {
  it('names the real setting for a typo, a near-miss in our families and a lower-case name', () => {
    expect(
      settingNameWarnings({
        SMPT_HOST: 'x',
        MAIL_FORM: 'x',
        STUDY_TIMEZONE: 'x',
        smtp_port: '25',
        SLACK_CHANEL_ID: 'x',
      }),
    ).toEqual([
      'SMPT_HOST is not a mail-updater setting (ignored); did you mean SMTP_HOST?',
      'MAIL_FORM is not a mail-updater setting (ignored); did you mean MAIL_FROM?',
      'STUDY_TIMEZONE is not a mail-updater setting (ignored); did you mean STUDY_TZ?',
      'smtp_port is not a mail-updater setting (ignored); did you mean SMTP_PORT?',
      'SLACK_CHANEL_ID is not a mail-updater setting (ignored); did you mean SLACK_CHANNEL_ID?',
    ]);
  });

  it('leaves our own names, secret _FILE forms and unrelated variables alone', () => {
    const env = {
      SMTP_HOST: 'x',
      SMTP_PASS_FILE: '/run/secrets/p',
      IMAP_HOST: 'x',
      PATH: '/bin',
      HOME: '/root',
      HOSTNAME: 'box',
      NODE_ENV: 'production',
      LANG: 'C',
      TERM: 'xterm',
    };
    expect(settingNameWarnings(env)).toEqual([]);
  });

  it('stops an edit distance at its limit without changing any distance within it (20,000 random pairs)', () => {
    // The textbook table, in full: the reference.
    const distance = (a: string, b: string): number => {
      const table = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      );
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
          table[i]![j] = Math.min(
            table[i - 1]![j]! + 1,
            table[i]![j - 1]! + 1,
            table[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
          );
      return table[a.length]![b.length]!;
    };
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const word = (): string => Array.from({ length: next(12) }, () => 'ABST_'[next(5)]).join('');
    for (let k = 0; k < 20_000; k++) {
      const [a, b, limit] = [word(), word(), next(6)];
      expect(editDistanceWithin(a, b, limit), `${a} ${b} ${limit}`).toBe(Math.min(distance(a, b), limit + 1));
    }
    expect(editDistanceWithin('SMTP_HOST', 'SMPT_HOST', Number.POSITIVE_INFINITY)).toBe(2);
  });

  it('names the closest setting, not the first close one, and nothing beyond two typos without a prefix', () => {
    const known = new Set(['ABCDEFGH_X', 'ABCDEFGH', 'SMTP_HOSTNAME_X', 'SMTP_HOST']);
    expect(lookalikeNames(['ABCDEFGHZ', 'SMTP_HOSX', 'ABCDXXXX', 'ABCDEFXYZ'], known, ['SMTP_'])).toEqual([
      { name: 'ABCDEFGHZ', nearest: 'ABCDEFGH' },
      { name: 'SMTP_HOSX', nearest: 'SMTP_HOST' },
    ]);
    // Two typos is still near enough.
    expect(lookalikeNames(['ABCDEFXY'], known, [])).toEqual([{ name: 'ABCDEFXY', nearest: 'ABCDEFGH' }]);
  });
});

describe('BOUNCE_ALERT_PERCENT', () => {
  it('defaults to 5, takes a fraction, and names itself with the fix when it is not a percentage', () => {
    expect(loadConfig({}).BOUNCE_ALERT_PERCENT).toBe(5);
    expect(loadConfig({ BOUNCE_ALERT_PERCENT: '2.5' }).BOUNCE_ALERT_PERCENT).toBe(2.5);
    for (const bad of ['5%', '101', '-1', 'five']) {
      expect(problemsOf(() => loadConfig({ BOUNCE_ALERT_PERCENT: bad }))).toEqual([
        {
          variable: 'BOUNCE_ALERT_PERCENT',
          message: `must be a percentage from 0 to 100, such as 5 (no % sign) (got "${bad}").`,
        },
      ]);
    }
  });

  it('a look-alike name is hinted', () => {
    expect(settingNameWarnings({ BOUNCE_ALERT_PERCNT: '3' })).toEqual([
      'BOUNCE_ALERT_PERCNT is not a mail-updater setting (ignored); did you mean BOUNCE_ALERT_PERCENT?',
    ]);
  });
});
