/**
 * The CLI as installed runs from one CommonJS file (dist/mail-updater.cjs; src/vendor/build.mjs),
 * where every package is `require`d except those loaded with `import()`. Each command is loaded
 * here through it, and `report` draws its picture with Vega, an ES module only with a top-level
 * await, which `require` cannot load: it failed only when a report was drawn.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAZY_COMMAND_NAMES } from '../../commands/lazy.js';
import { cli, makeWorkspace } from '../support/workspace.js';

const ws = makeWorkspace({ participants: 12, days: 3 });
afterAll(() => ws.cleanup());

describe('the one-file CLI', () => {
  it.each([...LAZY_COMMAND_NAMES, 'serve'])('loads %s with its packages (its --help)', async (name) => {
    const result = await cli([name, '--help'], ws.env, ws.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`npx mail-updater ${name}`);
  });

  it('draws the report with Vega (imported, not required)', async () => {
    const out = join(ws.dir, 'report.png');
    const result = await cli(['report', '--out', out, '--json'], ws.env, ws.dir);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ path: out });
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });
});
