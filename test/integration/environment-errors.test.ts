/**
 * Issue 9 §6: a folder that cannot be written, a state DB or compliance DB held by another
 * process: a message naming the setting, the OS's reason and the fix, exit code 2; never
 * "This is a bug" or a stack trace.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { validateParticipants } from '../../commands/validate-participants.js';
import { execute } from '../../src/command.js';
import { explainEnvironmentError, UsageError } from '../../src/errors.js';
import { openStateDb } from '../../src/storage/state-db.js';
import { testContext } from '../support/context.js';
import { cli, makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
  ws?.cleanup();
});

const errno = (code: string, path: string, syscall = 'mkdir'): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), { code, path, syscall });

describe('OUTBOX_DIR that cannot be written', () => {
  it('the CLI exits 2 naming OUTBOX_DIR, the reason and the fix (a path below a regular file: ENOTDIR, even as root)', async () => {
    ws = makeWorkspace({ participants: 5 });
    const file = join(ws.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const result = await cli(['send-daily', '--dry-run'], { ...ws.env, OUTBOX_DIR: join(file, 'outbox') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('OUTBOX_DIR');
    expect(result.stderr).toContain('ENOTDIR');
    expect(result.stderr).toMatch(/a part of the path is a file/);
    expect(result.stderr).toMatch(/Point OUTBOX_DIR at a folder/);
    expect(result.stderr).not.toMatch(/This is a bug|Unexpected error|\n\s+at /);
  });

  it.each([
    ['EACCES', 'permission denied'],
    ['EROFS', 'read-only'],
    ['ENOSPC', 'no space left'],
  ])('%s under OUTBOX_DIR is explained with the variable and the fix', (code, reason) => {
    const settings = [
      { variable: 'OUTBOX_DIR', path: '/srv/study/outbox', fix: 'Point OUTBOX_DIR at a writable folder.' },
      { variable: 'STATE_DB_PATH', path: '/srv/study/var/state.db', fix: 'Fix STATE_DB_PATH.' },
    ];
    const explained = explainEnvironmentError(errno(code, '/srv/study/outbox/dry-run/2026-11-30'), settings);
    expect(explained).toBeInstanceOf(UsageError);
    expect(explained!.exitCode).toBe(2);
    expect(explained!.message).toContain('OUTBOX_DIR=/srv/study/outbox');
    expect(explained!.message).toContain(reason);
    expect(explained!.message).toContain(code);
    expect(explained!.message).toContain('Point OUTBOX_DIR at a writable folder.');
    // Not a setting's path (e.g. /srv/study/outbox2): left as unexpected.
    expect(explainEnvironmentError(errno(code, '/srv/study/outbox2/x'), settings)).toBeUndefined();
  });
});

describe('a database held by another process', () => {
  it('a state DB another connection holds a write transaction on: STATE_DB_PATH, "locked by another process", exit 2', async () => {
    ws = makeWorkspace({ participants: 5 });
    const path = ws.env.STATE_DB_PATH!;
    openStateDb(path).close();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    cleanups.push(() => other.close());
    const t = testContext(ws, {}, { stateDb: () => openStateDb(path, { busyTimeoutMs: 100 }) });
    const run = execute(sendDaily, t.ctx, {
      reportDate: ws.reportDate,
      dryRun: true,
      yes: false,
      resendUnknown: 'none',
    });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow(
      /STATE_DB_PATH=.*locked by another process.*SQLITE_BUSY.*Wait for the other process/s,
    );
  });

  it('a compliance DB locked with BEGIN EXCLUSIVE is "locked by another process", not "a partial copy"', async () => {
    ws = makeWorkspace({ participants: 5 });
    const other = new Database(ws.fixture.dbPath);
    other.exec('BEGIN EXCLUSIVE');
    cleanups.push(() => other.close());
    const t = testContext(ws);
    const run = execute(validateParticipants, t.ctx, { reportDate: ws.reportDate });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow(/COMPLIANCE_DB_PATH=.*locked by another process/);
    await expect(run).rejects.not.toThrow(/partial copy/);
  }, 20_000);
});
