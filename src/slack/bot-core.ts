/**
 * What the bot's parts (sends, the Slack sync) need from the bot: its settings, the ledger, the
 * poster, and the request it keeps up to date. StudyBot implements it; the parts depend on this
 * and not on StudyBot, so the bot can own them without an import cycle.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { StateDb } from '../storage/state-db.js';
import type { SlackPoster } from './poster.js';
import type { RequestProgress } from './views/approval.js';

export interface BotCore {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: StateDb;
  readonly poster: SlackPoster;
  readonly now: () => Date;
  readonly stopping: boolean;
  readonly signal: AbortSignal;
  readonly progressIntervalMs: number;
  /** Runs long work after Slack's ack, tracked for shutdown; never throws. */
  background(label: string, work: () => Promise<unknown>): Promise<void>;
  /** Re-renders the run's approval request (from the ledger unless progress is given). */
  refreshRequest(runId: string, progress?: RequestProgress): Promise<void>;
  /** The same, best-effort and bounded in time: for calls around a send. */
  tellSlack(runId: string, progress?: RequestProgress): Promise<void>;
}
