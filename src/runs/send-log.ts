/**
 * send_log.jsonl: one JSON object per line, appended, never rewritten. Lines are written with
 * O_APPEND so two processes appending at once never interleave within a line.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../util/fs.js';

export type LogStatus = 'dry_run' | 'sent' | 'failed' | 'skipped' | 'unknown';

export interface SendLogEntry {
  ts: string;
  run_id: string;
  report_date: string;
  did: string;
  status: LogStatus;
  dry_run: boolean;
  attempt: number;
  message_id: string | null;
  to_masked: string | null;
  template_hash: string;
  smtp_response?: string;
  error?: string;
}

export class SendLog {
  private readonly fd: number;
  private pending: string[] = [];

  /** `bufferLines` > 1 batches writes (dry runs); live sends write every line at once. */
  constructor(
    outboxDir: string,
    private readonly bufferLines = 1,
  ) {
    ensurePrivateDir(outboxDir);
    this.fd = openSync(join(outboxDir, 'send_log.jsonl'), 'a', 0o600);
  }

  append(entry: SendLogEntry): void {
    this.pending.push(`${JSON.stringify(entry)}\n`);
    if (this.pending.length >= this.bufferLines) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
