/**
 * src/util/runtime-settings.ts is how the bot is meant to start; `npm start` and the systemd unit must
 * say the same, and the running Node must honour the flag (a Node that dropped it would let the
 * young generation grow with the study again).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, RUNTIME_ENV } from '../../src/util/runtime-settings.js';

const root = join(import.meta.dirname, '..', '..');

describe('runtime settings', () => {
  it('are the ones npm start and contrib/mail-updater.service start the bot with', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${NODE_FLAGS.join(' ')} dist/mail-updater.cjs serve`);
    const unit = readFileSync(join(root, 'contrib', 'mail-updater.service'), 'utf8');
    expect(unit).toMatch(
      new RegExp(`^ExecStart=/usr/bin/node ${NODE_FLAGS.join(' ')} \\S+/dist/mail-updater\\.cjs serve$`, 'm'),
    );
    for (const [name, value] of Object.entries(RUNTIME_ENV)) expect(unit).toContain(`\nEnvironment=${name}=${value}\n`);
  });

  it("cap the young generation on this Node, however many objects survive (V8's default grows it to 32 MB or more)", () => {
    const script = [
      "const v8 = require('node:v8');",
      'const keep = [];',
      'for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 20000) keep.splice(0, 10000); }',
      "const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');",
      'process.stdout.write(String(space.space_size));',
    ].join('\n');
    const run = (flags: readonly string[]) =>
      Number(spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).stdout);
    const capped = run(NODE_FLAGS);
    const uncapped = run([]);
    expect(capped).toBeGreaterThan(0);
    expect(capped).toBeLessThanOrEqual(2 * 4 * 1024 * 1024 + 256 * 1024);
    expect(uncapped).toBeGreaterThan(capped);
  });
});
