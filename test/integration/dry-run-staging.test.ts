import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import { acquireLock, planLockName } from '../../src/storage/locks.js';
import { testContext } from '../support/context.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const dryRunRoot = (): string => join(ws.env.OUTBOX_DIR!, 'dry-run');
const staging = (): string[] => readdirSync(dryRunRoot()).filter((f) => f.includes('.planning-'));

async function dryRun(overrides: Parameters<typeof testContext>[2] = {}) {
  const t = testContext(ws, {}, overrides);
  try {
    return await execute(sendDaily, t.ctx, {
      reportDate: ws.reportDate,
      dryRun: true,
      yes: false,
      resendUnknown: 'none',
    })
      .then((out) => ({ out: out as { exitCode: number }, error: undefined }))
      .catch((error: unknown) => ({ out: undefined, error }));
  } finally {
    t.close();
  }
}

describe('the dry run never leaves a .planning-* folder behind', () => {
  it('removes it when rendering fails midway', async () => {
    ws = makeWorkspace({ participants: 12 });
    const result = await dryRun({
      progress: () => {
        throw new Error('progress reporting broke');
      },
    });
    expect(result.out?.exitCode ?? 'threw').not.toBe(0);
    expect(staging()).toEqual([]);
  });

  it('removes it when swapping the previews in fails', async () => {
    ws = makeWorkspace({ participants: 12 });
    mkdirSync(dryRunRoot(), { recursive: true });
    writeFileSync(join(dryRunRoot(), '.superseded'), 'not a folder');
    const result = await dryRun();
    expect(result.out?.exitCode ?? 'threw').not.toBe(0);
    expect(staging()).toEqual([]);
  });

  it("removes a killed run's folder on the next dry run, but not a running one's", async () => {
    ws = makeWorkspace({ participants: 12 });
    expect((await dryRun()).out?.exitCode).toBe(0);
    const dead = join(dryRunRoot(), `${ws.reportDate}.planning-2026-01-01_20260101T000000_dead01`);
    const otherDay = join(dryRunRoot(), '2025-12-31.planning-2025-12-31_20260101T000000_dead02');
    const live = join(dryRunRoot(), `${ws.reportDate}.planning-2026-01-01_20260101T000000_live01`);
    for (const dir of [dead, otherDay, live]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'P0001.eml'), 'half-written');
    }
    const t = testContext(ws);
    const lock = acquireLock(t.db(), planLockName('2026-01-01_20260101T000000_live01'), () => new Date());
    try {
      expect((await dryRun()).out?.exitCode).toBe(0);
      expect(staging()).toEqual([`${ws.reportDate}.planning-2026-01-01_20260101T000000_live01`]);
      expect(existsSync(dead) || existsSync(otherDay)).toBe(false);
    } finally {
      lock.release();
      t.close();
    }
  });
});
