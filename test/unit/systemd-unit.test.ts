/**
 * contrib/mail-updater.service: systemd's own checker accepts it without a warning, and every
 * credential it loads is a secret the config reads from $CREDENTIALS_DIRECTORY.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_VARIABLES } from '../../src/secrets.js';

const unitPath = join(import.meta.dirname, '..', '..', 'contrib', 'mail-updater.service');
const unit = readFileSync(unitPath, 'utf8');
const settings = unit
  .split('\n')
  .filter((line) => /^[A-Za-z]+=/.test(line))
  .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
const all = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);

const analyzeMissing =
  spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0
    ? 'needs systemd-analyze from the Debian package systemd (apt-get install systemd)'
    : undefined;
if (analyzeMissing) console.warn(`skipping systemd-analyze verify: ${analyzeMissing}`);

describe('contrib/mail-updater.service', () => {
  it('runs serve as its own user with a state directory, restarts on failure, and loads the secrets as credentials', () => {
    expect(all('ExecStart')[0]).toMatch(/\/dist\/mail-updater\.cjs serve$/);
    expect(all('User')).toEqual(['mail-updater']);
    expect(all('StateDirectory')).toEqual(['mail-updater']);
    expect(all('Restart')).toEqual(['on-failure']);
    expect(all('RestartPreventExitStatus')).toEqual(['2']);
    const credentials = all('LoadCredential').map((v) => v.split(':')[0]);
    expect(credentials).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SMTP_PASS']);
    for (const name of credentials) expect(SECRET_VARIABLES as readonly string[]).toContain(name);
    expect(all('Environment').some((v) => v.startsWith('STATE_DB_PATH=/var/lib/mail-updater/'))).toBe(true);
    // No secret in the unit itself.
    for (const name of SECRET_VARIABLES) expect(all('Environment').join('\n')).not.toContain(`${name}=`);
  });

  it.skipIf(analyzeMissing !== undefined)('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-unit-'));
    const copy = join(dir, 'mail-updater.service');
    // verify checks that ExecStart's program exists: point it at this Node.
    writeFileSync(copy, unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
    const ours = result.stderr
      .split('\n')
      .filter((line) => line.includes('mail-updater.service'))
      .join('\n');
    expect(ours).toBe('');
    expect(result.status).toBe(0);
  });
});
