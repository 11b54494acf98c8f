/** Issue 9 §5.3: owner-only files (roster backups, the state DB) and RETENTION_DAYS. */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import { loadConfig } from '../../src/config.js';
import { backupPathFor, replaceWithBackup } from '../../src/roster/write.js';
import { insertPlanningRun, setRunState } from '../../src/storage/runs.js';
import { openStateDb } from '../../src/storage/state-db.js';
import { addDays } from '../../src/util/dates.js';
import { testContext } from '../support/context.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('owner-only files', () => {
  it('a roster backup is 0600 even when the roster is 0644', () => {
    ws = makeWorkspace({ participants: 3 });
    const roster = ws.fixture.rosterPath;
    chmodSync(roster, 0o644);
    const backup = replaceWithBackup(roster, Buffer.from('did,email\n'), new Date('2026-11-20T08:30:00Z'));
    expect(modeOf(backup)).toBe(0o600);
    expect(modeOf(roster)).toBe(0o644);
  });

  it('the state DB and its -wal and -shm are 0600, a new one and an existing 0644 one alike', () => {
    ws = makeWorkspace({ participants: 3 });
    const path = join(ws.dir, 'var', 'fresh.db');
    const fresh = openStateDb(path);
    fresh.prepare("INSERT INTO audit (at, actor, action) VALUES ('x', 'y', 'z')").run();
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect([file, modeOf(file)]).toEqual([file, 0o600]);
    fresh.close();

    const old = join(ws.dir, 'var', 'old.db');
    openStateDb(old).close();
    chmodSync(old, 0o644);
    const reopened = openStateDb(old);
    expect(modeOf(old)).toBe(0o600);
    reopened.close();
  });
});

describe('RETENTION_DAYS', () => {
  it('rejects 0 and non-numbers, naming the variable', () => {
    expect(() => loadConfig({ RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS/);
    expect(() => loadConfig({ RETENTION_DAYS: 'a week' })).toThrow(/RETENTION_DAYS/);
    expect(loadConfig({}).RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ RETENTION_DAYS: '30' }).RETENTION_DAYS).toBe(30);
  });

  it('send-daily --dry-run prunes old backups, previews and archives by the date in their names; keeps today, unfinished runs and recent ones', async () => {
    ws = makeWorkspace({ participants: 5 });
    const outbox = ws.env.OUTBOX_DIR!;
    const today = addDays(ws.reportDate, 1);
    const old = addDays(today, -20);
    const older = addDays(today, -40);
    const recent = addDays(today, -3);
    const sendingDay = addDays(today, -30);
    for (const kind of ['dry-run', 'sent'])
      for (const day of [old, older, recent, sendingDay, today]) {
        mkdirSync(join(outbox, kind, day), { recursive: true });
        writeFileSync(join(outbox, kind, day, 'P0001.eml'), 'x');
      }
    mkdirSync(join(outbox, 'dry-run', 'notes'), { recursive: true }); // not a report date: left alone
    const roster = ws.fixture.rosterPath;
    for (const day of [old, older, recent]) writeFileSync(backupPathFor(roster, new Date(`${day}T08:30:00Z`)), 'x');

    const t = testContext(ws, { RETENTION_DAYS: '10' });
    // A run still sending for an old day keeps its files.
    const db = t.db();
    insertPlanningRun(db, {
      id: 'r-sending',
      reportDate: sendingDay,
      createdAt: `${sendingDay}T09:00:00Z`,
      requestedBy: 'cli:x',
      templateHash: 'h',
      mailFrom: null,
      redirectTo: null,
      expiresAt: `${sendingDay}T21:00:00Z`,
    });
    setRunState(db, 'r-sending', 'sending');
    try {
      await execute(sendDaily, t.ctx, { reportDate: ws.reportDate, dryRun: true, yes: false, resendUnknown: 'none' });
    } finally {
      t.close();
    }
    const left = (kind: string) =>
      readdirSync(join(outbox, kind))
        .filter((n) => !n.startsWith('.'))
        .sort();
    expect(left('dry-run')).toEqual([sendingDay, recent, ws.reportDate, today, 'notes'].sort());
    expect(left('sent')).toEqual([sendingDay, recent, today].sort());
    const backups = readdirSync(dirname(roster)).filter((n) => n.includes('.bak-'));
    expect(backups).toEqual([`${roster.split('/').pop()}.bak-${recent.replace(/-/g, '')}T083000Z`]);
    expect(t.progress.join('\n')).toContain(
      'RETENTION_DAYS=10: removed 2 roster backup(s), 2 day(s) of previews and 2 day(s) of sent archives.',
    );
    const retentionLog = t.logs.find((l) => l.includes('"retention"'));
    expect(retentionLog).toBeDefined();
    expect(retentionLog).not.toContain(old);
    expect(existsSync(roster)).toBe(true);
  });

  it('without RETENTION_DAYS nothing is pruned', async () => {
    ws = makeWorkspace({ participants: 5 });
    const dir = join(ws.env.OUTBOX_DIR!, 'sent', '2001-01-01');
    mkdirSync(dir, { recursive: true });
    const t = testContext(ws);
    try {
      await execute(sendDaily, t.ctx, { reportDate: ws.reportDate, dryRun: true, yes: false, resendUnknown: 'none' });
    } finally {
      t.close();
    }
    expect(existsSync(dir)).toBe(true);
  });
});
