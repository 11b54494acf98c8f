/**
 * The built package loads zod from the one file `npm run build` bundles (src/vendor/zod.ts), the
 * same version as the package's, and the sources load the package itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCommonJs, requireZod } from '../../src/util/commonjs.js';

const root = join(import.meta.dirname, '../..');

describe('zod in one file', () => {
  it('is what the built configuration loads: no file of the package is read', () => {
    expect(existsSync(join(root, 'dist/src/vendor/zod.cjs'))).toBe(true);
    const script = `
      import { createRequire } from 'node:module';
      const { loadConfig } = await import(${JSON.stringify(join(root, 'dist/src/config.js'))});
      const config = loadConfig({ STUDY_TZ: 'Europe/London', SMTP_PORT: '2525' });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('zod'));
      console.log(JSON.stringify({ tz: config.STUDY_TZ, port: config.SMTP_PORT, loaded }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { tz: string; port: number; loaded: string[] };
    expect(out).toMatchObject({ tz: 'Europe/London', port: 2525 });
    expect(out.loaded.map((k) => k.slice(root.length))).toEqual(['/dist/src/vendor/zod.cjs']);
  });

  it('is the version of the installed package', () => {
    const bundled = readFileSync(join(root, 'dist/src/vendor/zod.cjs'), 'utf8');
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules/zod/package.json'), 'utf8')) as {
      version: string;
    };
    const [major, minor, patch] = version.split('.').map(Number);
    expect(bundled).toContain(`major: ${major},\n  minor: ${minor},\n  patch: ${patch}`);
  });

  it('comes from the package when the sources run (no build beside them)', () => {
    const { z } = requireZod();
    expect(z).toBe((requireCommonJs('zod') as typeof import('zod')).z);
    expect(z.string().min(2).safeParse('a').success).toBe(false);
  });
});
