/** The shapes shared by the send orchestration (send.ts), its worker pool and the callers. */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { AttemptOutcome } from '../mail/smtp-client.js';
import type { SendLogEntry } from '../outbox/send-log.js';
import type { StateCounts } from '../storage/messages.js';
import type { ResendUnknown } from '../storage/send-ledger.js';
import type { StateDb } from '../storage/state-db.js';

export interface MessageTransport {
  send(envelope: { from: string; to: string }, message: Buffer): Promise<AttemptOutcome>;
  close(): void;
}

export interface SendProgress {
  total: number;
  sent: number;
  failed: number;
  unknown: number;
  pending: number;
}

export interface SendDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  openTransport: () => MessageTransport;
  onProgress?: (progress: SendProgress) => void;
  signal?: AbortSignal;
}

export interface SendOptions {
  actor: string;
  resendUnknown: ResendUnknown;
}

export interface FailureReport {
  did: string;
  error: string;
  attempts: number;
  kind: string;
}

export interface SendResult {
  runId: string;
  reportDate: string;
  batchHash: string;
  outcome: 'done' | 'paused' | 'interrupted';
  pauseReason?: string;
  counts: StateCounts;
  sentNow: number;
  failures: FailureReport[];
  unknownDids: string[];
  redirectTo: string | null;
}

/** How the worker pool ended (send-engine.ts). */
export interface EngineResult {
  outcome: SendResult['outcome'];
  pauseReason?: string;
  /** The pause was the relay's doing (settings refused, rate limits, failures in a row). */
  relayProblem?: boolean;
  sentNow: number;
}

/** What a send_log line says about the message it is about. */
export type LoggedMessage = { did: string; message_id: string | null; to_masked: string | null };

/** Appends one live-send line to send_log.jsonl for a message. */
export type LogLine = (
  m: LoggedMessage,
  fields: Pick<SendLogEntry, 'status' | 'attempt'> & Partial<SendLogEntry>,
) => void;
