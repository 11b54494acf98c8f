import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backup } from '../../commands/backup.js';
import { execute } from '../../src/command.js';
import { UsageError } from '../../src/errors.js';
import { openStateDb } from '../../src/storage/state-db.js';
import { testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

function seed(path: string, rows: number): void {
  const db = openStateDb(path);
  db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
     VALUES ('r1', '2026-03-01', '2026-03-01T00:00:00Z', 't', 'sending', 'h', 't', '2026-03-02T00:00:00Z', '{}')`,
  ).run();
  const insert = db.prepare(
    "INSERT INTO messages (run_id, report_date, did, state, to_masked, updated_at) VALUES ('r1', '2026-03-01', ?, 'planned', 'j***@example.org', '2026-03-01T00:00:00Z')",
  );
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`P${String(i).padStart(6, '0')}`);
  })();
  db.close();
}

describe('backup', () => {
  it('copies a consistent ledger while another connection keeps writing; 0600; refuses to overwrite without --force', async () => {
    study.ws = makeWorkspace({ participants: 5 });
    const statePath = study.ws.env.STATE_DB_PATH!;
    seed(statePath, 30_000);

    // The "bot": its own connection, sending (claiming and marking messages) while the backup runs.
    const bot = openStateDb(statePath);
    const claim = bot.prepare(
      "UPDATE messages SET state = 'sent', attempts = attempts + 1, updated_at = ? WHERE id = ?",
    );
    let next = 1;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        claim.run(new Date().toISOString(), next++);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const out = join(study.ws.dir, 'backups', 'state-copy.db');
    const t = testContext(study.ws);
    const result = await execute(backup, t.ctx, backup.parse({ out }, [], t.ctx));
    writing = false;
    await writer;
    t.close();
    expect(next).toBeGreaterThan(2); // the bot did write during the backup

    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(result.data).toMatchObject({ path: out, messages: 30_000, runs: 1 });
    // Nothing else beside it: no temporary copy, no -wal or -shm of the temporary name.
    expect(readdirSync(join(study.ws.dir, 'backups'))).toEqual(['state-copy.db']);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    // A snapshot: the sent messages are exactly ids 1..k for one k, never a gap, and every row in
    // the copy is as the bot wrote it (the bot only moves forward through ids).
    const sent = copy.prepare("SELECT id FROM messages WHERE state = 'sent' ORDER BY id").pluck().all() as number[];
    expect(sent).toEqual(Array.from({ length: sent.length }, (_, i) => i + 1));
    const source = bot.prepare('SELECT * FROM messages WHERE id = ?');
    const later = new Set(
      (bot.prepare("SELECT id FROM messages WHERE state = 'sent'").pluck().all() as number[]).slice(sent.length),
    );
    for (const row of copy.prepare('SELECT * FROM messages ORDER BY id').all() as { id: number }[]) {
      if (!later.has(row.id)) expect(row).toEqual(source.get(row.id));
    }
    copy.close();
    bot.close();

    // An existing file is never overwritten without --force.
    writeFileSync(out, 'keep me');
    const t2 = testContext(study.ws);
    await expect(execute(backup, t2.ctx, backup.parse({ out }, [], t2.ctx))).rejects.toThrow(/already exists.*--force/);
    const forced = await execute(backup, t2.ctx, backup.parse({ out, force: true }, [], t2.ctx));
    t2.close();
    expect(forced.data.messages).toBe(30_000);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(() => backup.parse({}, [], t2.ctx)).toThrow(/--out FILE/);
  }, 60_000);

  it('a folder, or a path through a file, is a usage error naming --out (not "a bug")', async () => {
    study.ws = makeWorkspace({ participants: 3 });
    const t = testContext(study.ws);
    try {
      const run = (out: string, force = false) => execute(backup, t.ctx, backup.parse({ out, force }, [], t.ctx));
      await expect(run(study.ws.dir, true)).rejects.toThrow(UsageError);
      await expect(run(study.ws.dir, true)).rejects.toThrow(/is a folder; name the file to write/);
      const file = join(study.ws.dir, 'plain.txt');
      writeFileSync(file, 'x');
      await expect(run(join(file, 'copy.db'))).rejects.toThrow(/Cannot write the backup to .*plain.txt\/copy.db \(E/);
      // The live state DB itself, even with --force: refused, and it is still there, intact.
      const statePath = study.ws.env.STATE_DB_PATH!;
      t.ctx.stateDb();
      await expect(run(statePath, true)).rejects.toThrow(/is the state database itself/);
      const live = new Database(statePath, { readonly: true });
      expect(live.pragma('integrity_check', { simple: true })).toBe('ok');
      live.close();
    } finally {
      t.close();
    }
  });
});
