/**
 * Our own SQLite database: runs, messages (the ledger), locks, audit and health. WAL mode so the
 * bot and a CLI process can read while the other writes; every write is a short transaction.
 */
import Database from 'better-sqlite3';
import { UsageError } from '../errors.js';
import { ensureParentDir } from '../util/fs.js';
import { migrations } from './schema.js';

export type StateDb = Database.Database;

export function openStateDb(path: string): StateDb {
  ensureParentDir(path);
  let db: StateDb;
  try {
    db = new Database(path);
    // Small pages: a send commits a few rows per message, and every commit writes whole pages
    // to the WAL. Only takes effect when the database is created.
    db.pragma('page_size = 1024');
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw new UsageError(
      `Cannot open the state database STATE_DB_PATH=${path}: ${(error as Error).message}. ` +
        'Point STATE_DB_PATH at a writable file (it is created if missing).',
      'state_db',
    );
  }
  // FULL: a claim committed before its message is sent must survive a power cut, not only a
  // crash. Group commit (claim-batcher.ts) keeps the extra fsyncs few.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  // Fewer, larger checkpoints: each one is an fsync, and a send commits twice per message.
  db.pragma('wal_autocheckpoint = 4000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
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

/** Throws when the database cannot be read (for /healthz). */
export function pingStateDb(db: StateDb): void {
  db.prepare('SELECT 1').get();
}
