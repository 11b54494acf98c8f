/**
 * The shape shared by every command. One definition serves the CLI, Slack slash commands and the
 * scheduler: a command parses its options, returns data, and renders that data as text or JSON
 * (and, for Slack, Block Kit).
 */
import type { Config } from './config.js';
import type { ExitCode } from './errors.js';
import type { Logger } from './logger.js';
import type { StateDb } from './storage/state-db.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
}

export interface CommandContext {
  config: Config;
  logger: Logger;
  now: () => Date;
  /** Who asked: "cli:alice", "slack:U012ABC", "schedule". Recorded in the audit trail. */
  actor: string;
  /** The state database, opened on first use. */
  stateDb: () => StateDb;
  /** Asks a yes/no question on a terminal; absent when nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
  /** Short progress lines for long work (stderr on the CLI). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CommandOutput {
  exitCode: ExitCode;
  /** The one JSON document --json prints. */
  json: unknown;
  /** Human-readable output. */
  text: string;
}

export interface CommandSpec<Options = unknown> {
  name: string;
  summary: string;
  usage: string;
  /** The Slack slash command that runs it, if any. */
  slash?: string;
  flags: Record<string, FlagSpec>;
  /** From parsed flags and positional arguments to validated options; throws UsageError. */
  parse(
    flags: Record<string, string | boolean | undefined>,
    positionals: string[],
    ctx: Pick<CommandContext, 'config' | 'now'>,
  ): Options;
  run(ctx: CommandContext, options: Options): Promise<CommandOutput>;
}

/** Keeps each command's Options type while letting the registry hold them side by side. */
export function defineCommand<Options>(spec: CommandSpec<Options>): CommandSpec<Options> {
  return spec;
}
