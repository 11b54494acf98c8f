/**
 * The sent-message archive (outbox/sent/<D>/<DID>.eml): a hard link to the verified preview
 * (previews are never modified in place; a new dry run writes a new folder), so archiving costs
 * one directory entry, not a copy. From the built package the links are made in a worker thread,
 * in batches, off the send path; run from TypeScript sources (the tests), in-thread.
 */
import { copyFileSync, linkSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface ArchiveFailure {
  target: string;
  error: string;
}

/** Links each [preview, archive] pair; returns the ones that could not be archived. */
export function linkAll(pairs: readonly [string, string][]): ArchiveFailure[] {
  const failures: ArchiveFailure[] = [];
  for (const [source, target] of pairs) {
    try {
      try {
        linkSync(source, target);
      } catch (error) {
        // EEXIST: a copy from an earlier, superseded run of the day; otherwise no hard links here.
        rmSync(target, { force: true });
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') linkSync(source, target);
        else copyFileSync(source, target);
      }
    } catch (error) {
      failures.push({ target, error: (error as Error).message });
    }
  }
  return failures;
}

export interface Archiver {
  add(source: string, target: string): void;
  /** Archives what is queued and reports every failure. */
  finish(): Promise<ArchiveFailure[]>;
}

const BATCH = 64;
const compiled = import.meta.url.endsWith('.js');

export function createArchiver(): Archiver {
  let pending: [string, string][] = [];
  if (!compiled) {
    const failures: ArchiveFailure[] = [];
    return {
      add(source, target) {
        failures.push(...linkAll([[source, target]]));
      },
      finish: async () => failures,
    };
  }
  const worker = new Worker(new URL('./archive-worker.js', import.meta.url));
  const failures: ArchiveFailure[] = [];
  let outstanding = 0;
  let drained: (() => void) | undefined;
  worker.on('message', (batchFailures: ArchiveFailure[]) => {
    failures.push(...batchFailures);
    if (--outstanding === 0) drained?.();
  });
  const flush = (): void => {
    if (pending.length === 0) return;
    outstanding++;
    worker.postMessage(pending);
    pending = [];
  };
  return {
    add(source, target) {
      pending.push([source, target]);
      if (pending.length >= BATCH) flush();
    },
    async finish() {
      flush();
      if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve));
      await worker.terminate();
      return failures;
    },
  };
}
