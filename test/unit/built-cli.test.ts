/**
 * The built CLI is a program of its own: `npx mail-updater` runs dist/src/cli.js by its shebang,
 * which needs the file to be executable. npx makes it so only the first time it meets a
 * checkout's folder, so a fresh clone in a folder used before said "Permission denied" until
 * `npm run build` set the mode itself.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '../../dist/src/cli.js');

describe('the built CLI', () => {
  it('is executable and runs by its shebang', () => {
    expect(statSync(cli).mode & 0o111).toBe(0o111);
    const run = spawnSync(cli, ['--version'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
