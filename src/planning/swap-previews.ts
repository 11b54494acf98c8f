/**
 * Swaps the new previews in (two renames) and removes the superseded ones in the background:
 * unlinking 100,000 files takes seconds and must not hold up the summary. Leftovers from a
 * process that exited before the removal finished are removed by the next dry run.
 */
import { existsSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../logger.js';
import { ensurePrivateDir } from '../util/fs.js';

export function swapInPreviews(stagingDir: string, dryRunDir: string, logger: Logger): void {
  const trash = join(dirname(dryRunDir), '.superseded');
  ensurePrivateDir(trash);
  if (existsSync(dryRunDir)) renameSync(dryRunDir, join(trash, basename(stagingDir)));
  renameSync(stagingDir, dryRunDir);
  rm(trash, { recursive: true, force: true }).catch((error: unknown) =>
    logger.warn({ error: (error as Error).message }, 'could not remove superseded previews'),
  );
}
