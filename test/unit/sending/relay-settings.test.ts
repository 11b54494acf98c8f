import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';
import { Pacer, sendIntervalMs } from '../../../src/sending/pacing.js';
import { smtpSettings, tlsPolicy } from '../../../src/sending/transport.js';
import { isLoopbackHost } from '../../../src/util/net.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('relay settings', () => {
  it('requires TLS unless the relay is on this machine and gets no password, or SMTP_REQUIRE_TLS=false', () => {
    expect(loadConfig({}).SMTP_REQUIRE_TLS).toBe(true);
    expect(tlsPolicy(loadConfig({ SMTP_HOST: 'smtp.example.org' }))).toBe('required');
    expect(tlsPolicy(loadConfig({ SMTP_HOST: '127.0.0.1' }))).toBe('loopback-without-auth');
    expect(tlsPolicy(loadConfig({ SMTP_HOST: 'localhost', SMTP_USER: 'u', SMTP_PASS: 'p' }))).toBe('required');
    expect(tlsPolicy(loadConfig({ SMTP_HOST: 'smtp.example.org', SMTP_REQUIRE_TLS: 'false' }))).toBe('disabled');
    expect(smtpSettings(loadConfig({ SMTP_HOST: 'smtp.example.org' })).requireTLS).toBe(true);
    expect(smtpSettings(loadConfig({ SMTP_HOST: '::1' })).requireTLS).toBe(false);
    for (const host of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['smtp.example.org', '10.0.0.1', '::10', '128.0.0.1', 'localhost.example.org'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('reads SMTP_TLS_CA_FILE at load; a missing or non-PEM file is a problem naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(loadConfig({ SMTP_TLS_CA_FILE: pem }).smtpTlsCa).toContain('BEGIN CERTIFICATE');
    expect(problems({ SMTP_TLS_CA_FILE: join(dir, 'missing.pem') })).toEqual([
      { variable: 'SMTP_TLS_CA_FILE', message: expect.stringMatching(/cannot read .*missing\.pem \(ENOENT\)/) },
    ]);
    const notPem = join(dir, 'ca.txt');
    writeFileSync(notPem, 'hello');
    expect(problems({ SMTP_TLS_CA_FILE: notPem })[0]).toMatchObject({ variable: 'SMTP_TLS_CA_FILE' });
    expect(problems({ SMTP_RATE_PER_MINUTE: '0' })[0]).toMatchObject({ variable: 'SMTP_RATE_PER_MINUTE' });
    expect(problems({ SMTP_RATE_PER_MINUTE: '1.5' })[0]).toMatchObject({ variable: 'SMTP_RATE_PER_MINUTE' });
  });

  it('paces by the stricter of SMTP_RATE_PER_SECOND and SMTP_RATE_PER_MINUTE', () => {
    expect(sendIntervalMs({ SMTP_RATE_PER_SECOND: 0, SMTP_RATE_PER_MINUTE: undefined })).toBe(0);
    expect(sendIntervalMs({ SMTP_RATE_PER_SECOND: 0, SMTP_RATE_PER_MINUTE: 30 })).toBe(2000);
    expect(sendIntervalMs({ SMTP_RATE_PER_SECOND: 10, SMTP_RATE_PER_MINUTE: 30 })).toBe(2000);
    expect(sendIntervalMs({ SMTP_RATE_PER_SECOND: 1, SMTP_RATE_PER_MINUTE: 600 })).toBe(1000);
  });

  it('backs off longer and with fewer connections after each rate limit, once per back-off', () => {
    const pacer = new Pacer({ SMTP_RATE_PER_SECOND: 0, SEND_RETRY_BACKOFF_MS: 1000 }, 8);
    const first = pacer.throttled();
    expect(pacer.connections).toBe(4);
    expect(pacer.throttled().retryAt).toBe(first.retryAt); // a second answer during the back-off
    expect(pacer.connections).toBe(4);
    expect(pacer.mayWait).toBe(true);
    expect(first.exhausted).toBe(false);
  });
});
