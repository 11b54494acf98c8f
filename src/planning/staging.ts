/**
 * The folder a dry run stages its previews in (`<dryRunDir>.planning-<runId>`, swapped in at the
 * end). A run holds the lock plan:<runId> while its folder exists and removes the folder on every
 * way out; a folder left by a process that was killed (SIGKILL, power cut) has no live holder and
 * is removed by the next dry run.
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JobRefusedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { acquireLock, type HeldLock, planLockName } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';

const MARKER = '.planning-';

export const stagingDirFor = (dryRunDir: string, runId: string): string => `${dryRunDir}${MARKER}${runId}`;

function remove(dir: string, logger: Logger): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    logger.warn({ dir, error: (error as Error).message }, 'could not remove a dry run staging folder');
  }
}

/** Removes staging folders (of any report date) whose dry run is no longer alive. */
export function removeStaleStaging(db: StateDb, dryRunDir: string, now: () => Date, logger: Logger): void {
  const parent = dirname(dryRunDir);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return; // no dry run yet
  }
  for (const name of names) {
    const at = name.indexOf(MARKER);
    if (at <= 0) continue;
    let lock: HeldLock;
    try {
      lock = acquireLock(db, planLockName(name.slice(at + MARKER.length)), now);
    } catch (error) {
      if (error instanceof JobRefusedError) continue; // another dry run, still running
      throw error;
    }
    try {
      remove(join(parent, name), logger);
      logger.info({ dir: name }, 'removed the staging folder of a dry run that did not finish');
    } finally {
      lock.release();
    }
  }
}

/** Takes this run's lock, clears dead runs' folders; `done` removes this run's folder if still there. */
export function beginStaging(
  db: StateDb,
  dryRunDir: string,
  runId: string,
  now: () => Date,
  logger: Logger,
): { dir: string; done: () => void } {
  const lock = acquireLock(db, planLockName(runId), now);
  const dir = stagingDirFor(dryRunDir, runId);
  try {
    removeStaleStaging(db, dryRunDir, now, logger);
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    dir,
    done: () => {
      remove(dir, logger);
      lock.release();
    },
  };
}
