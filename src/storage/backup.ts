/**
 * A consistent copy of the state DB while the bot runs: SQLite's online backup API. After the
 * first 100 pages the rest is copied in one step, inside one read transaction, so a busy writer
 * (a send commits twice per message) cannot keep restarting it; in WAL mode it blocks nobody.
 */
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { requireCommonJs } from '../util/commonjs.js';
import type { StateDb } from './state-db.js';

const Database = requireCommonJs('better-sqlite3') as typeof BetterSqlite3;

export interface BackupResult {
  path: string;
  pages: number;
  bytes: number;
  /** Ledger rows in the copy, read back from it. */
  messages: number;
  runs: number;
}

/**
 * Copies `db` to `dest` (0600). The copy is written next to `dest` and renamed into place once
 * it has passed SQLite's quick_check, so `dest` is never a half-written database.
 */
export async function backupStateDb(db: StateDb, dest: string, overwrite: boolean): Promise<BackupResult> {
  const temp = `${dest}.partial-${process.pid}`;
  closeSync(openSync(temp, 'wx', 0o600));
  try {
    const progress = await db.backup(temp, { progress: () => 0x7fffffff });
    chmodSync(temp, 0o600);
    const copy = new Database(temp, { readonly: true, fileMustExist: true });
    let counts: { messages: number; runs: number };
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed SQLite's quick_check: ${String(check)}`);
      counts = copy
        .prepare('SELECT (SELECT COUNT(*) FROM messages) AS messages, (SELECT COUNT(*) FROM runs) AS runs')
        .get() as { messages: number; runs: number };
    } finally {
      copy.close();
      removeSidecars(temp);
    }
    // Checked again at the last moment: another backup may have written it meanwhile.
    if (!overwrite && existsSync(dest)) throw new BackupExists(dest);
    renameSync(temp, dest);
    return { path: dest, pages: progress.totalPages, bytes: progress.totalPages * pageSize(db), ...counts };
  } catch (error) {
    rmSync(temp, { force: true });
    removeSidecars(temp);
    throw error;
  }
}

/**
 * The copy is in WAL mode like the original, so opening it to check it leaves an (empty) -wal and
 * -shm beside it: they belong to the temporary name and would be left behind by the rename.
 */
function removeSidecars(path: string): void {
  for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

function pageSize(db: StateDb): number {
  return Number(db.pragma('page_size', { simple: true }));
}

export class BackupExists extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
  }
}
