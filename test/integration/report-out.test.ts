/**
 * `report --out`: it may replace an earlier report, never another file; a missing folder or a
 * folder given as the file is a usage error (exit 2) said before any work, not "a bug"; what it
 * writes is 0600 and never half-written.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { report } from '../../commands/report.js';
import { execute } from '../../src/command.js';
import { UsageError } from '../../src/errors.js';
import { testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

async function reportTo(out: string) {
  const t = testContext(study.ws);
  try {
    return await execute(report, t.ctx, { days: 7, out });
  } finally {
    t.close();
  }
}

describe('report --out', () => {
  it('refuses a missing folder, a folder and a file that is not a PNG; replaces an earlier report', async () => {
    study.ws = makeWorkspace({ participants: 5 });
    const dir = join(study.ws.dir, 'reports-here');
    mkdirSync(dir);

    await expect(reportTo(join(study.ws.dir, 'no-such-folder', 'r.png'))).rejects.toThrow(
      /no-such-folder does not exist or is not a folder/,
    );
    await expect(reportTo(dir)).rejects.toThrow(/is a folder; name the PNG file/);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'keep me', { mode: 0o644 });
    const refused = await reportTo(notes).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toContain('is not a PNG image');
    expect(readFileSync(notes, 'utf8')).toBe('keep me');
    // Through a file, a name too long for the file system, a symbolic link: usage errors too.
    await expect(reportTo(join(notes, 'r.png'))).rejects.toThrow(/notes.txt does not exist or is not a folder/);
    await expect(reportTo(join(dir, `${'r'.repeat(300)}.png`))).rejects.toThrow(/the name is too long/);
    symlinkSync(notes, join(dir, 'link.png'));
    await expect(reportTo(join(dir, 'link.png'))).rejects.toThrow(/is a symbolic link/);
    expect(readFileSync(notes, 'utf8')).toBe('keep me');

    const png = join(dir, 'weekly.png');
    const first = await reportTo(png);
    expect(first.exitCode).toBe(0);
    expect(statSync(png).mode & 0o777).toBe(0o600);
    // An earlier report is replaced; the mode stays 0600 even where the old file was wider.
    const written = readFileSync(png);
    expect(written.subarray(1, 4).toString()).toBe('PNG');
    chmodSync(png, 0o644);
    expect((await reportTo(png)).exitCode).toBe(0);
    expect(statSync(png).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['link.png', 'notes.txt', 'weekly.png']); // no partial file left
  }, 60_000);
});
