/**
 * The built package loads zod from the one file `npm run build` bundles (src/vendor/zod.ts), the
 * same version as the package's, and the sources load the package itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCommonJs, requireZod, zodOf } from '../../src/util/commonjs.js';

const root = join(import.meta.dirname, '../..');

describe('zod in one file', () => {
  it('is what the built configuration loads: no code of the package is read (its version is)', () => {
    expect(existsSync(join(root, 'dist/src/vendor/zod.cjs'))).toBe(true);
    const script = `
      import { createRequire } from 'node:module';
      const { loadConfig } = await import(${JSON.stringify(join(root, 'dist/src/config.js'))});
      const config = loadConfig({ STUDY_TZ: 'Europe/London', SMTP_PORT: '2525' });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('zod') && !k.endsWith('.json'));
      console.log(JSON.stringify({ tz: config.STUDY_TZ, port: config.SMTP_PORT, loaded }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { tz: string; port: number; loaded: string[] };
    expect(out).toMatchObject({ tz: 'Europe/London', port: 2525 });
    expect(out.loaded.map((k) => k.slice(root.length))).toEqual(['/dist/src/vendor/zod.cjs']);
  });

  it('judges settings as the package does: the same messages for bad values of every kind', async () => {
    // One bad value for each builder the one-file build keeps (number, enum, regex, refine, list, url).
    const bad = {
      SMTP_PORT: 'abc',
      RETENTION_DAYS: '2.5',
      SMTP_SECURE: 'maybe',
      LOG_LEVEL: 'loud',
      MAIL_FROM: 'not-an-address',
      STUDY_TZ: 'Mars/Olympus',
      SLACK_APPROVER_IDS: 'U123,bob',
      QUALTRICS_BASE_URL: 'not a url',
      QUALTRICS_SURVEY_ID: 'survey-1',
      SEND_DEADLINE: '25:99',
    };
    const script = `
      const { loadConfig } = await import(${JSON.stringify(join(root, 'dist/src/config.js'))});
      try { loadConfig(${JSON.stringify(bad)}); console.log('accepted'); } catch (error) { console.log(error.message); }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const { loadConfig } = await import('../../src/config.js');
    let fromSources = 'accepted';
    try {
      loadConfig(bad);
    } catch (error) {
      fromSources = (error as Error).message;
    }
    for (const variable of Object.keys(bad)) expect(fromSources).toContain(variable);
    expect(run.stdout.trim()).toBe(fromSources.trim());
  });

  it('is the version of the installed package', () => {
    const bundled = readFileSync(join(root, 'dist/src/vendor/zod.cjs'), 'utf8');
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules/zod/package.json'), 'utf8')) as {
      version: string;
    };
    const [major, minor, patch] = version.split('.').map(Number);
    expect(bundled).toContain(`major: ${major},\n  minor: ${minor},\n  patch: ${patch}`);
  });

  it('is not used when zod was updated since the build: the installed package is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mu-zod-'));
    try {
      const stale = join(dir, 'zod.cjs');
      writeFileSync(stale, 'exports.z = {}; exports.version = { major: 4, minor: 0, patch: 1 };');
      const packaged = requireCommonJs('zod/mini') as typeof import('zod/mini');
      expect(zodOf(stale, '4.6.7').z).toBe(packaged);
      const bundle = join(root, 'dist/src/vendor/zod.cjs');
      const { version } = requireCommonJs('zod/package.json') as { version: string };
      const bundled = zodOf(bundle, version).z;
      expect(bundled).not.toBe(packaged);
      expect(bundled.string().check(bundled.regex(/@/)).safeParse('a@b.org').success).toBe(true);
      expect(zodOf(bundle, '0.0.0').z).toBe(packaged);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('comes from the package when the sources run (no build beside them)', () => {
    const { z } = requireZod();
    expect(z).toBe(requireCommonJs('zod/mini') as typeof import('zod/mini'));
    const short = z.string().check(z.minLength(2)).safeParse('a');
    // English, as the chained form's messages are.
    expect(short.success ? '' : short.error.issues[0]?.message).toBe(
      'Too small: expected string to have >=2 characters',
    );
  });
});
