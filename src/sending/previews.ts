/**
 * The previewed messages of one run, as the live send uses them: each read back and checked
 * against the hash it had when it was previewed (every byte but the Date value), dated now, and
 * archived under sent/<D>/ as sent.
 */
import { readFileSync } from 'node:fs';
import { contentHash, withDate } from '../mail/compose.js';
import { outboxPaths } from '../outbox/paths.js';
import { ensurePrivateDir } from '../util/fs.js';
import { type ArchiveFailure, createArchiver } from './archive.js';

export class Previews {
  private readonly paths;
  private sentDirReady = false;
  private readonly archiver = createArchiver();

  constructor(
    outboxDir: string,
    reportDate: string,
    private readonly now: () => Date,
  ) {
    this.paths = outboxPaths(outboxDir, reportDate);
  }

  /** The previewed bytes, or why they cannot be sent (gone or changed). */
  load(message: { did: string; sha256: string }): { bytes: Buffer } | { problem: string } {
    const path = this.paths.dryRunFile(message.did);
    let bytes: Buffer;
    try {
      // Synchronous on purpose: a few-kB local read is cheaper than a thread-pool round trip.
      bytes = readFileSync(path);
    } catch {
      return {
        problem: `the previewed message ${path} is missing. Run send-daily --dry-run again and approve the new batch.`,
      };
    }
    if (contentHash(bytes) !== message.sha256)
      return {
        problem: `the previewed message ${path} changed since it was previewed (hash differs). Run send-daily --dry-run again and approve the new batch.`,
      };
    // The Date header is the time of sending; the hash above covers every other byte.
    return { bytes: withDate(bytes, this.now()) };
  }

  /** Keeps the bytes that were sent (with their Date of sending) under sent/<D>/<DID>.eml. */
  archive(did: string, sentBytes: Buffer): void {
    if (!this.sentDirReady) {
      ensurePrivateDir(this.paths.sentDir);
      this.sentDirReady = true;
    }
    this.archiver.add(this.paths.sentFile(did), sentBytes);
  }

  /** Waits for the archive copies; the ones that could not be made. */
  finish(): Promise<ArchiveFailure[]> {
    return this.archiver.finish();
  }
}
