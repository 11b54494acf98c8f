/**
 * The sent-message archive (outbox/sent/<D>/<DID>.eml): the bytes exactly as sent, Date header
 * included (the preview keeps the preview's Date; DESIGN §9). From the built package the files
 * are written in a worker thread, in batches, off the send path; run from TypeScript sources
 * (the tests), in-thread.
 */
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface ArchiveFailure {
  target: string;
  error: string;
}

/** A message to archive: where, and the bytes that were sent. */
export type ArchiveEntry = [target: string, bytes: Uint8Array];

/** Writes each entry (replacing a copy from an earlier, superseded run of the day); returns the failures. */
export function writeAll(entries: readonly ArchiveEntry[]): ArchiveFailure[] {
  const failures: ArchiveFailure[] = [];
  for (const [target, bytes] of entries) {
    try {
      writeFileSync(target, bytes, { mode: 0o600 });
    } catch (error) {
      failures.push({ target, error: (error as Error).message });
    }
  }
  return failures;
}

export interface Archiver {
  add(target: string, bytes: Uint8Array): void;
  /** Archives what is queued and reports every failure. */
  finish(): Promise<ArchiveFailure[]>;
}

const BATCH = 64;
const compiled = import.meta.url.endsWith('.js');

export function createArchiver(): Archiver {
  let pending: ArchiveEntry[] = [];
  if (!compiled) {
    const failures: ArchiveFailure[] = [];
    return {
      add(target, bytes) {
        failures.push(...writeAll([[target, bytes]]));
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
    add(target, bytes) {
      pending.push([target, bytes]);
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
