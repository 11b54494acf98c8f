/**
 * The built CLI is a program of its own: `npx mail-updater` runs the package's bin,
 * dist/mail-updater.cjs (src/vendor/build.mjs bundles dist/src into it), by its shebang, which
 * needs the file to be executable. npx makes it so only the first time it meets a checkout's
 * folder, so a fresh clone in a folder used before said "Permission denied" until `npm run build`
 * set the mode itself. dist/src/cli.js, the unbundled build, still runs as before (services
 * installed with it keep working).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const bin = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[
  'mail-updater'
]!;

describe('the built CLI', () => {
  it.each([bin, 'dist/src/cli.js'])('%s is executable and runs by its shebang', (file) => {
    const cli = join(root, file);
    expect(statSync(cli).mode & 0o111).toBe(0o111);
    const run = spawnSync(cli, ['--version'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is one file whose modules each keep the URL of their own file in dist/ (workers and zod are found from it)', () => {
    expect(bin).toBe('dist/mail-updater.cjs');
    const bundle = readFileSync(join(root, bin), 'utf8');
    expect(bundle).not.toMatch(/import\.meta/);
    const own = [...bundle.matchAll(/new URL\("([^"]+)", __bundle_folder_url\)/g)].map((m) => m[1]!);
    // The modules that find files from their own place: the package root, zod's build, the workers.
    expect(own).toEqual(
      expect.arrayContaining([
        'src/util/fs.js',
        'src/util/commonjs.js',
        'src/compliance/day-query-aside.js',
        'src/planning/render-pool.js',
        'src/sending/archive.js',
      ]),
    );
    for (const path of own) expect(existsSync(join(root, 'dist', path)), path).toBe(true);
    // A stack trace can be taken back to the TypeScript (NODE_OPTIONS=--enable-source-maps).
    const map = JSON.parse(readFileSync(join(root, `${bin}.map`), 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(['../src/cli.ts', '../src/compliance/day-query-aside.ts']));
    for (const worker of [
      'src/compliance/day-query-worker.cjs',
      'src/planning/render-worker.js',
      'src/sending/archive-worker.js',
    ])
      expect(existsSync(join(root, 'dist', worker)), worker).toBe(true);
  });
});
