/**
 * The relay connection (issue 9 §3): TLS before AUTH and before any message, the relay's
 * certificate checked (SMTP_TLS_CA_FILE for a private CA), one login attempt, not five, when the
 * password is wrong, rate limits slowing the send down instead of failing it, the health line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { smtpCheck } from '../../commands/smtp-check.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { readHealth } from '../../src/storage/health.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { type SinkOptions, startSmtpSink } from '../support/smtp-sink.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.cleanup());

type Json = Record<string, any>;

async function run(env: Env, command: 'send' | 'dry-run' | 'check' = 'send') {
  const t = testContext(study.ws, env);
  try {
    const out = (
      command === 'check'
        ? await execute(smtpCheck, t.ctx, {})
        : await execute(sendDaily, t.ctx, {
            reportDate: study.ws.reportDate,
            dryRun: command === 'dry-run',
            yes: true,
            resendUnknown: 'none',
          })
    ) as { exitCode: number; text: string; json: Json };
    return { ...out, logs: t.logs.join('') };
  } finally {
    t.close();
  }
}

async function relay(options: SinkOptions, participants = 10): Promise<Env> {
  study.ws = makeWorkspace({ participants });
  study.sink = await startSmtpSink(options);
  const env = smtpEnv(study.sink.port);
  await run(env, 'dry-run');
  return env;
}

const login = { SMTP_USER: 'study', SMTP_PASS: 'secret-pw' };

describe('TLS before AUTH and before any message', () => {
  it('a relay that does not offer STARTTLS gets neither the password nor a message', async () => {
    const env = { ...(await relay({ auth: { user: 'study', pass: 'secret-pw' }, starttls: 'off' })), ...login };
    const out = await run(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/did not offer TLS \(STARTTLS\)/);
    expect(out.json.pause_reason).toMatch(/SMTP_REQUIRE_TLS=false/);
    expect(study.sink!.authAttempts).toBe(0);
    expect(study.sink!.dataCommands).toBe(0);
    expect(out.json.counts.sent).toBe(0);
    expect(out.json.counts.failed).toBe(0);

    const check = await run(env, 'check');
    expect(check.exitCode).toBe(1);
    expect(check.text).toMatch(/To fix: .*SMTP_REQUIRE_TLS/);
    expect(study.sink!.authAttempts).toBe(0);
    expect(out.logs + out.text + check.text).not.toContain('secret-pw');
  });

  it('one that hides STARTTLS but accepts it still has its certificate checked before AUTH', async () => {
    const env = { ...(await relay({ auth: { user: 'study', pass: 'secret-pw' }, starttls: 'hidden' })), ...login };
    const out = await run(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/certificate was not accepted/);
    expect(study.sink!.authAttempts).toBe(0);
    expect(study.sink!.dataCommands).toBe(0);
  });

  it('SMTP_REQUIRE_TLS=false lets it through, loudly', async () => {
    const env = {
      ...(await relay({ auth: { user: 'study', pass: 'secret-pw' }, starttls: 'off' })),
      ...login,
      SMTP_REQUIRE_TLS: 'false',
    };
    const out = await run(env);
    expect(out.json.outcome).toBe('done');
    expect(out.logs).toMatch(
      /SMTP_REQUIRE_TLS=false: the password and every message may cross the network unencrypted/,
    );
    const check = await run(env, 'check');
    expect(check.json).toMatchObject({ ok: true, tls: 'disabled' });
    expect(check.text).toMatch(/TLS NOT REQUIRED[\s\S]*WARNING: SMTP_REQUIRE_TLS=false/);
  });
});

describe("the relay's certificate", () => {
  it('an untrusted CA pauses the send at once, naming SMTP_TLS_CA_FILE; trusting it sends', async () => {
    const env = { ...(await relay({ auth: { user: 'study', pass: 'secret-pw' }, starttls: certs }, 12)), ...login };
    const started = performance.now();
    const out = await run({ ...env, SEND_MAX_ATTEMPTS: '5', SEND_RETRY_BACKOFF_MS: '2000' });
    expect(performance.now() - started).toBeLessThan(1500); // no "temporary" retries with back-off
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(
      /certificate was not accepted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    );
    expect(out.json.pause_reason).toMatch(/SMTP_TLS_CA_FILE/);
    expect(study.sink!.authAttempts).toBe(0);
    expect(out.json.counts.planned).toBeGreaterThan(0);
    const check = await run(env, 'check');
    expect(check.json.ok).toBe(false);
    expect(check.json.advice).toMatch(/SMTP_TLS_CA_FILE/);

    const trusted = { ...env, SMTP_TLS_CA_FILE: certs.caFile };
    expect((await run(trusted, 'check')).json).toMatchObject({ ok: true, authenticated: true, tls: 'required' });
    const ok = await run(trusted);
    expect(ok.json.outcome).toBe('done');
    expect(study.sink!.count).toBe(ok.json.counts.sent);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
  });

  it('a certificate for another name names SMTP_HOST', async () => {
    const other = makeTestCerts(['DNS:relay.example.org']);
    try {
      const env = {
        ...(await relay({ starttls: other })),
        SMTP_HOST: 'localhost',
        SMTP_TLS_CA_FILE: other.caFile,
        SMTP_REQUIRE_TLS: 'true',
      };
      const check = await run(env, 'check');
      expect(check.json.ok).toBe(false);
      expect(check.json.advice).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID[\s\S]*set SMTP_HOST/);
    } finally {
      other.cleanup();
    }
  });
});

describe('a refused login', () => {
  it('is tried by one connection only, and pauses the run naming SMTP_USER and SMTP_PASS', async () => {
    const env = {
      ...(await relay({ auth: { user: 'study', pass: 'right' }, starttls: certs }, 20)),
      ...login,
      SMTP_TLS_CA_FILE: certs.caFile,
      SMTP_MAX_CONNECTIONS: '5',
    };
    const out = await run(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/refused the login .*535.*Check SMTP_USER and SMTP_PASS/);
    expect(study.sink!.authAttempts).toBe(1);
    expect(study.sink!.dataCommands).toBe(0);
    expect(out.logs + out.text).not.toContain('secret-pw');
    const t = testContext(study.ws);
    expect(readHealth(t.db(), 'smtp')).toMatchObject({ ok: false, detail: { source: 'send' } });
    expect((readHealth(t.db(), 'smtp')!.detail as Json).error).toMatch(/SMTP_USER/);
    t.close();
  });
});

describe('rate limits', () => {
  it('450 4.7.0 slows the send down and retries; nothing fails, nothing is sent twice', async () => {
    const env = {
      ...(await relay({ throttleFirst: 6 }, 16)),
      SEND_PAUSE_AFTER_FAILURES: '3',
      SEND_MAX_ATTEMPTS: '1',
      SMTP_MAX_CONNECTIONS: '4',
    };
    const out = await run(env);
    expect(out.json.outcome).toBe('done');
    expect(out.json.counts.failed).toBe(0);
    expect(study.sink!.throttled).toBe(6);
    expect(study.sink!.count).toBe(out.json.counts.sent);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(out.logs).toMatch(/rate limited by the relay, slowing down/);
    const t = testContext(study.ws);
    expect(readHealth(t.db(), 'smtp')).toMatchObject({ ok: true, detail: { source: 'send', error: null } });
    t.close();
  });

  it('SMTP_RATE_PER_MINUTE paces sends below one a second', async () => {
    const env = await relay({}, 8);
    const started = performance.now();
    const out = await run({ ...env, SMTP_RATE_PER_MINUTE: '120', SMTP_RATE_PER_SECOND: '50' });
    const seconds = (performance.now() - started) / 1000;
    const sent = out.json.counts.sent as number;
    expect(sent, out.text).toBeGreaterThanOrEqual(3);
    // n messages at 120/min (the stricter of the two) cannot take less than (n - 1) / 2 seconds.
    expect(seconds).toBeGreaterThanOrEqual((sent - 1) * 0.5 - 0.05);
  });
});
