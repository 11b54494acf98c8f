/**
 * One sender per report date, across processes (the bot and any number of CLI shells). The lock
 * is a row in the state DB taken in an IMMEDIATE transaction; a holder that died (SIGKILL, power
 * cut) is detected by its pid on this host or, from another host, by a stale heartbeat.
 */

import { hostname } from 'node:os';
import { JobRefusedError } from '../errors.js';
import { nodeCrypto } from '../util/commonjs.js';
import type { StateDb } from './state-db.js';

const HEARTBEAT_MS = 5_000;

/** One sender per report date. */
export const sendLockName = (reportDate: string): string => `send:${reportDate}`;
/** Held by a dry run while it stages its previews: tells a live staging folder from a dead one's. */
export const planLockName = (runId: string): string => `plan:${runId}`;
/** One Qualtrics sync at a time (it rewrites the roster). */
export const SYNC_LOCK_NAME = 'sync:roster';
/** One bot (`serve`) per state DB: two would both post requests, run schedules and send. */
export const SERVE_LOCK_NAME = 'serve';
const STALE_AFTER_MS = 60_000;

export interface LockRow {
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_at: string;
}

export interface HeldLock {
  owner: string;
  release(): void;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function holderIsGone(row: LockRow, now: Date): boolean {
  const heartbeatAge = now.getTime() - Date.parse(row.heartbeat_at);
  if (row.host === hostname()) return !processIsAlive(row.pid) || heartbeatAge > STALE_AFTER_MS * 5;
  return heartbeatAge > STALE_AFTER_MS;
}

/** "sending send:2026-11-23" read badly; each lock says what its holder is doing. */
function describeLock(name: string): string {
  if (name.startsWith('send:')) return `sending ${name.slice('send:'.length)}`;
  if (name.startsWith('sync:')) return 'syncing the roster from Qualtrics';
  if (name === SERVE_LOCK_NAME) return 'running the bot (serve) on this state database (STATE_DB_PATH)';
  if (name.startsWith('plan:')) return `preparing the dry run ${name.slice('plan:'.length)}`;
  return `holding ${name}`;
}

/** Takes the named lock or throws JobRefusedError saying who holds it; a dead holder's lock is taken over. */
export function acquireLock(
  db: StateDb,
  name: string,
  now: () => Date,
  fix = 'Wait for it to finish, then check `npx mail-updater status`.',
): HeldLock {
  const owner = `${hostname()}:${process.pid}:${nodeCrypto().randomUUID().slice(0, 8)}`;
  db.transaction(() => {
    const existing = db
      .prepare('SELECT owner, pid, host, acquired_at, heartbeat_at FROM locks WHERE name = ?')
      .get(name) as LockRow | undefined;
    if (existing !== undefined) {
      if (!holderIsGone(existing, now())) {
        throw new JobRefusedError(
          `Another mail-updater process (pid ${existing.pid} on ${existing.host}, since ${existing.acquired_at}) is already ${describeLock(name)}. ` +
            fix,
          'lock_held',
        );
      }
      db.prepare('DELETE FROM locks WHERE name = ?').run(name);
    }
    const at = now().toISOString();
    db.prepare('INSERT INTO locks (name, owner, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      name,
      owner,
      process.pid,
      hostname(),
      at,
      at,
    );
  }).immediate();

  const heartbeat = setInterval(() => {
    try {
      db.prepare('UPDATE locks SET heartbeat_at = ? WHERE name = ? AND owner = ?').run(
        now().toISOString(),
        name,
        owner,
      );
    } catch {
      // A busy or briefly unwritable database must not crash the holder; the next beat retries,
      // and a holder is only taken over once its process is gone or its heartbeat is minutes old.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    owner,
    release() {
      clearInterval(heartbeat);
      db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(name, owner);
    },
  };
}

export function lockHolder(db: StateDb, name: string): LockRow | undefined {
  return db.prepare('SELECT owner, pid, host, acquired_at, heartbeat_at FROM locks WHERE name = ?').get(name) as
    | LockRow
    | undefined;
}
