/**
 * send_log.jsonl: one JSON object per line, appended, never rewritten. Lines are written with
 * O_APPEND so two processes appending at once never interleave within a line.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../util/fs.js';

export type LogStatus =
  | 'dry_run'
  | 'sent'
  | 'failed'
  | 'skipped'
  | 'unknown'
  /** What came back after the send (check-bounces): a hard bounce, a soft one, an opt-out. */
  | 'bounced'
  | 'soft_bounced'
  | 'opted_out';

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
  private readonly buffer: Buffer | undefined;
  private used = 0;

  /**
   * `bufferBytes` > 0 gathers lines in an off-heap buffer and writes whole lines when it fills
   * (dry runs); 0 writes every line at once (live sends, where each line is a fact to keep).
   */
  constructor(outboxDir: string, bufferBytes = 0) {
    ensurePrivateDir(outboxDir);
    this.fd = openSync(join(outboxDir, 'send_log.jsonl'), 'a', 0o600);
    this.buffer = bufferBytes > 0 ? Buffer.allocUnsafe(bufferBytes) : undefined;
  }

  append(entry: SendLogEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    if (this.buffer === undefined) {
      writeSync(this.fd, line);
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (this.used + bytes > this.buffer.length) this.flush();
    if (bytes > this.buffer.length) writeSync(this.fd, line);
    else this.used += this.buffer.write(line, this.used);
  }

  flush(): void {
    if (this.buffer === undefined || this.used === 0) return;
    writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
