/**
 * The shape shared by every command. One definition serves the CLI, Slack slash commands and the
 * scheduler: a command parses its options, returns typed data, and renders that data as text or
 * JSON; Slack renders the same data as Block Kit (src/slack/views/results.ts).
 */
import { parseArgs } from 'node:util';
import { type Config, pathSettings, stateDbSetting } from './config.js';
import { type ExitCode, explainEnvironmentError, UsageError } from './errors.js';
import type { Logger } from './logger.js';
import type { StateDb } from './storage/state-db.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  /**
   * A string flag whose value may be left out (`--resend-unknown` or `--resend-unknown D1,D2`):
   * without a value it reads as `valueWhenBare`.
   */
  valueWhenBare?: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

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

export interface CommandSpec<Options, Data> {
  name: string;
  summary: string;
  usage: string;
  /** The Slack slash command that runs it, if any. */
  slash?: string;
  flags: Record<string, FlagSpec>;
  /** From parsed flags and positional arguments to validated options; throws UsageError. */
  parse(flags: FlagValues, positionals: string[], ctx: Pick<CommandContext, 'config' | 'now'>): Options;
  /** Does the work and returns what happened, as data. */
  run(ctx: CommandContext, options: Options): Promise<Data>;
  exitCode(data: Data): ExitCode;
  /** Human-readable output (the CLI; Slack's fallback). */
  text(data: Data): string;
  /** The one JSON document --json prints. */
  json(data: Data): unknown;
}

export interface CommandOutput<Data = unknown> {
  exitCode: ExitCode;
  data: Data;
  /** Rendered when first read (see renderedOnDemand). */
  readonly text: string;
  readonly json: unknown;
}

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

/**
 * A command as the front ends that route by name hold it (the CLI, slash commands): its
 * description, and parse → run → render in one call. Callers that want the typed data (Slack's
 * jobs, App Home) call the spec's own `run`.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  slash?: string;
  flags: Record<string, FlagSpec>;
  invoke(ctx: CommandContext, args: ParsedArgs): Promise<CommandOutput>;
}

export type DefinedCommand<Options, Data> = CommandSpec<Options, Data> & Command;

export function defineCommand<Options, Data>(spec: CommandSpec<Options, Data>): DefinedCommand<Options, Data> {
  return {
    ...spec,
    invoke: (ctx, args) => execute(spec, ctx, spec.parse(args.flags, args.positionals, ctx)),
  };
}

/** Runs a command with parsed options and renders its data every way a front end may need. */
export async function execute<Options, Data>(
  spec: CommandSpec<Options, Data>,
  ctx: CommandContext,
  options: Options,
): Promise<CommandOutput<Data>> {
  let data: Data;
  try {
    data = await spec.run(ctx, options);
  } catch (error) {
    // A folder that cannot be written, a disk that is full, a database another process holds:
    // say which setting, why and what to do, rather than "unexpected error".
    throw explainEnvironmentError(error, pathSettings(ctx.config), stateDbSetting(ctx.config)) ?? error;
  }
  return renderedOnDemand(spec, data);
}

/**
 * The text and the JSON are each made when first read: a front end reads one of them, and
 * rendering the other was the last few percent of validate-participants at 100,000 rows.
 */
function renderedOnDemand<Data>(
  spec: Pick<CommandSpec<unknown, Data>, 'exitCode' | 'text' | 'json'>,
  data: Data,
): CommandOutput<Data> {
  let text: string | undefined;
  let json: { value: unknown } | undefined;
  return {
    exitCode: spec.exitCode(data),
    data,
    get text() {
      text ??= spec.text(data);
      return text;
    },
    get json() {
      json ??= { value: spec.json(data) };
      return json.value;
    },
  };
}

/** argv (after the command name) → flags and positionals; unknown options are usage errors. */
export function parseCommandArgs(command: Pick<Command, 'flags'>, args: string[], helpHint: string): ParsedArgs {
  try {
    args = withBareValues(command.flags, args);
    const options = Object.fromEntries(Object.entries(command.flags).map(([flag, f]) => [flag, { type: f.type }]));
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: parsed.values as FlagValues, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${argsErrorMessage(error as Error & { code?: string })} ${helpHint}`);
  }
}

/** node:util parseArgs's errors in our words (its own text suggests `--` tricks that do not apply here). */
function argsErrorMessage(error: Error & { code?: string }): string {
  const option = /'(-[^' ]*)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option '${option ?? error.message}'.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.includes('argument missing')
        ? `Option '${option}' needs a value.`
        : `Option '${option}' does not take a value.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}`.trim().concat('.');
    default:
      return `${error.message}.`;
  }
}

/** Gives flags with an optional value their bare value when none follows them. */
function withBareValues(flags: Record<string, FlagSpec>, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    out.push(arg);
    const bare = arg.startsWith('--') && !arg.includes('=') ? flags[arg.slice(2)]?.valueWhenBare : undefined;
    const next = args[i + 1];
    if (bare !== undefined && (next === undefined || next.startsWith('-'))) out.push(bare);
  }
  return out;
}
