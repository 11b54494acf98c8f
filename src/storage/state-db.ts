/**
 * Our own SQLite database: runs, messages (the ledger), locks, audit and health. WAL mode so the
 * bot and a CLI process can read while the other writes; every write is a short transaction.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { explainEnvironmentError, type PathSetting, UsageError } from '../errors.js';
import { requireCommonJs } from '../util/commonjs.js';
import { ensureParentDir } from '../util/fs.js';
import { migrations } from './schema.js';

const Database = requireCommonJs('better-sqlite3') as typeof BetterSqlite3;

export type StateDb = BetterSqlite3.Database;

/**
 * The state DB names every participant's DID and masked address: owner-only (0600), as are its
 * -wal and -shm (SQLite gives those the database file's mode). The file is created 0600 before
 * SQLite opens it, and an existing one is tightened.
 */
function makePrivate(path: string): void {
  if (path === ':memory:') return;
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Opens (creating if needed) and migrates the state DB. Anything in the way (a folder that cannot
 * be written, a full disk, another process holding a write lock for longer than
 * `busyTimeoutMs`) is a UsageError naming STATE_DB_PATH, the reason and the fix.
 */
/**
 * better-sqlite3's default page cache is 16 MB per connection. The state database grows with the
 * study (a ledger row per participant per day) and a dry run or a send touches each page about
 * once, so a full-size cache would only make memory grow with the study.
 */
const STATE_CACHE_KB = 4096;

export function openStateDb(path: string, options: { busyTimeoutMs?: number } = {}): StateDb {
  const setting: PathSetting = {
    variable: 'STATE_DB_PATH',
    path,
    fix: 'Point STATE_DB_PATH at a file this user can write (it is created if missing) on a disk with free space.',
  };
  let db: StateDb | undefined;
  try {
    ensureParentDir(path);
    makePrivate(path);
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
    // Small pages: a send commits a few rows per message, and every commit writes whole pages
    // to the WAL. Only takes effect when the database is created.
    db.pragma('page_size = 1024');
    db.pragma('journal_mode = WAL');
    // FULL: a claim committed before its message is sent must survive a power cut, not only a
    // crash. Group commit (claim-batcher.ts) keeps the extra fsyncs few.
    db.pragma('synchronous = FULL');
    // Fewer, larger checkpoints: each one is an fsync, and a send commits twice per message.
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${STATE_CACHE_KB}`);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof UsageError) throw error;
    throw (
      explainEnvironmentError(error, [setting], setting) ??
      new UsageError(
        `Cannot open the state database STATE_DB_PATH=${path}: ${(error as Error).message}. ${setting.fix}`,
        'state_db',
      )
    );
  }
}

function migrate(db: StateDb): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > migrations.length) {
    throw new UsageError(
      `The state database was written by a newer mail-updater (schema ${current}, this one knows ${migrations.length}). Upgrade mail-updater.`,
      'state_db',
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
