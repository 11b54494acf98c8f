import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { contentHash } from '../../src/mail/compose.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeTestCerts } from '../support/test-certs.js';
import { CLI, cli, makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

describe('the command line', () => {
  it('refuses a live send without --yes when nobody can confirm, and sends nothing', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    study.sink = await startSmtpSink();
    const result = await cli(['send-daily'], { ...study.ws.env, ...smtpEnv(study.sink.port) }, study.ws.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('confirm with --yes when not running on a terminal');
    expect(study.sink.count).toBe(0);
  });

  // `script` (util-linux) gives the CLI a real terminal, so the confirmation prompt is exercised.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('on a terminal, asks before sending: "no" sends nothing, "yes" sends', async () => {
    study.ws = makeWorkspace({ participants: 8 });
    study.sink = await startSmtpSink();
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port) };
    // stdin stays open until the CLI exits: `script` ends the session when its input ends.
    const onTerminal = (answer: string): Promise<string> =>
      new Promise((resolve) => {
        const child = spawn('script', ['-qec', `"${process.execPath}" "${CLI}" send-daily`, '/dev/null'], {
          cwd: study.ws.dir,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stdin.write(`${answer}\n`);
        child.on('close', () => resolve(out));
      });
    const declined = await onTerminal('no');
    expect(declined).toMatch(/Send \d+ message\(s\) for .* to participants\?/);
    expect(declined).toContain('Nothing sent.');
    expect(study.sink.count).toBe(0);
    const accepted = await onTerminal('yes');
    expect(accepted).toMatch(/Send for .*: DONE\./);
    expect(study.sink.count).toBeGreaterThan(0);
  });

  it('names the missing settings for a live send', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const result = await cli(['send-daily', '--yes'], study.ws.env, study.ws.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SMTP_HOST: is not set/);
    expect(result.stderr).toMatch(/MAIL_FROM: is not set/);
  });

  it('smtp-check reports a working relay and the days left on the credential', async () => {
    study.ws = makeWorkspace();
    const certs = makeTestCerts();
    onTestFinished(() => certs.cleanup());
    study.sink = await startSmtpSink({ auth: { user: 'study', pass: 'pw' }, starttls: certs });
    const in10Days = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const ok = await cli(
      ['smtp-check', '--json'],
      {
        ...study.ws.env,
        ...smtpEnv(study.sink.port, {
          SMTP_USER: 'study',
          SMTP_PASS: 'pw',
          SMTP_CREDENTIAL_EXPIRES_AT: in10Days,
          SMTP_TLS_CA_FILE: certs.caFile,
        }),
      },
      study.ws.dir,
    );
    const health = JSON.parse(ok.stdout);
    expect(health).toMatchObject({ ok: true, authenticated: true, error: null, credential_expiring: true });
    expect(health.days_until_credential_expiry).toBeGreaterThanOrEqual(9);
    expect(ok.code).toBe(1); // expiring within 14 days is a problem to act on

    const bad = await cli(
      ['smtp-check'],
      {
        ...study.ws.env,
        ...smtpEnv(study.sink.port, { SMTP_USER: 'study', SMTP_PASS: 'nope', SMTP_TLS_CA_FILE: certs.caFile }),
      },
      study.ws.dir,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED: EAUTH/);
    expect(bad.stdout + bad.stderr).not.toContain('nope');
  });

  it("status shows the day's run, who approved it, the counts and the last SMTP check", async () => {
    study.ws = makeWorkspace({ participants: 12 });
    study.sink = await startSmtpSink();
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port) };
    expect((await cli(['status'], env, study.ws.dir)).stdout).toContain('No run yet');
    await cli(['send-daily', '--yes'], env, study.ws.dir);
    await cli(['smtp-check'], env, study.ws.dir);
    const text = await cli(['status'], env, study.ws.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/: done, requested by cli:/);
    expect(text.stdout).toMatch(/Decided by cli:\S+ at/);
    expect(text.stdout).toMatch(new RegExp(`sent ${study.sink.count}, failed 0, unknown 0`));
    expect(text.stdout).toMatch(/SMTP: OK at/);
    const json = JSON.parse((await cli(['status', '--json'], env, study.ws.dir)).stdout);
    expect(json.run.counts.sent).toBe(study.sink.count);
    expect(json.recent_runs).toHaveLength(1);
  });

  it('the built CLI renders previews in a worker thread; every file matches its ledger hash and parses', async () => {
    study.ws = makeWorkspace({ participants: 450 });
    const result = await cli(
      ['send-daily', '--dry-run', '--json'],
      { ...study.ws.env, MAIL_FROM: 'Study Team <study@example.org>' },
      study.ws.dir,
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    const t = testContext(study.ws);
    const rows = t
      .db()
      .prepare("SELECT did, sha256 FROM messages WHERE run_id = ? AND state = 'planned'")
      .all(plan.run_id) as { did: string; sha256: string }[];
    t.close();
    expect(rows).toHaveLength(plan.counts.to_send);
    const dir = join(study.ws.env.OUTBOX_DIR!, 'dry-run', study.ws.reportDate);
    expect(readdirSync(dir)).toHaveLength(rows.length);
    for (const row of rows) {
      const bytes = readFileSync(join(dir, `${row.did}.eml`));
      // The ledger hash covers every byte but the Date value (set at send time, DESIGN §9).
      expect(contentHash(bytes)).toBe(row.sha256);
      expect(createHash('sha256').update(bytes).digest('hex')).not.toBe(row.sha256);
    }
    const parsed = await simpleParser(readFileSync(join(dir, `${rows[0]!.did}.eml`)));
    expect(parsed.from?.value[0]?.address).toBe('study@example.org');
    expect(parsed.text).toContain(`participant ID ${rows[0]!.did}`);
  });

  it('create-fixture is deterministic for a seed', async () => {
    study.ws = makeWorkspace();
    const args = (out: string) => [
      'create-fixture',
      '--participants',
      '50',
      '--days',
      '3',
      '--seed',
      '9',
      '--end-date',
      '2026-01-31',
      '--out',
      out,
    ];
    await cli(args('a'), study.ws.env, study.ws.dir);
    await cli(args('b'), study.ws.env, study.ws.dir);
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    expect(
      readFileSync(join(study.ws.dir, 'a/participants.csv')).equals(
        readFileSync(join(study.ws.dir, 'b/participants.csv')),
      ),
    ).toBe(true);
    expect(
      readFileSync(join(study.ws.dir, 'a/compliance.db')).equals(readFileSync(join(study.ws.dir, 'b/compliance.db'))),
    ).toBe(true);
    const tooMany = await cli(['create-fixture', '--participants', '100001'], study.ws.env, study.ws.dir);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--participants must be a whole number from 1 to 100000');
    // --out on a file, or through one: a usage error naming it.
    for (const out of ['a/participants.csv', 'a/participants.csv/x']) {
      const refused = await cli(['create-fixture', '--out', out], study.ws.env, study.ws.dir);
      expect(refused.code, out).toBe(2);
      expect(refused.stderr).toContain(`Cannot write the fixture to --out ${out}`);
      expect(refused.stderr).not.toContain('This is a bug');
    }
  });

  it('with no settings at all, send-daily --dry-run creates the fixture and previews it; serve names the Slack variables', async () => {
    study.ws = makeWorkspace();
    const bare = { STUDY_TZ: study.ws.env.STUDY_TZ!, LOG_LEVEL: 'silent' };
    const dry = await cli(['send-daily', '--dry-run'], bare, study.ws.dir);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('Created the local fixture (200 participants)');
    expect(dry.stdout).toMatch(/To send: +19\d/);
    const serve = await cli(['serve'], bare, study.ws.dir);
    expect(serve.code).toBe(2);
    for (const variable of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_CHANNEL_ID', 'SLACK_APPROVER_IDS'])
      expect(serve.stderr).toContain(variable);
  });

  it('rejects unknown commands and flags with a pointer to --help', async () => {
    study.ws = makeWorkspace();
    const unknown = await cli(['send-weekly'], study.ws.env, study.ws.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "send-weekly"');
    const flag = await cli(['status', '--colour'], study.ws.env, study.ws.dir);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--colour'");
  });
});
