#!/usr/bin/env node
/**
 * The command-line entry point: argv → command. The only place (with `serve`) that reads
 * process.env, talks to the terminal and exits; the one top-level catch maps errors to exit codes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { parse as ParseDotenv } from 'dotenv';
import { loadCommand } from '../commands/lazy.js';
import { type Command, type CommandContext, parseCommandArgs } from './command.js';
import { type Env, loadConfig, settingNameWarnings } from './config.js';
import { ConfigError, ExitCode, exitCodeOf, JobRefusedError, UsageError } from './errors.js';
import { deferredLogger } from './logger.js';
import { openStateDb, type StateDb } from './storage/state-db.js';
import { requireCommonJs } from './util/commonjs.js';
import { packageRoot } from './util/fs.js';

const parseDotenv = (requireCommonJs('dotenv') as { parse: typeof ParseDotenv }).parse;

/** Where settings come from: .env in the working directory (not the package's), then the environment. */
function settingsSource(): { path: string; found: boolean; text: string } {
  const path = resolve('.env');
  const found = existsSync(path);
  return { path, found, text: found ? `${path} and the environment` : `the environment only, as there is no ${path}` };
}

/** .env under the real environment; look-alike names warned about on stderr. */
async function readEnv(): Promise<{ env: Env; source: string }> {
  const { path, found, text: source } = settingsSource();
  settingsRead = source;
  const fromFile = found ? parseDotenv(readFileSync(path)) : undefined;
  // The real environment wins over .env, as in every dotenv-style tool.
  const env = { ...fromFile, ...process.env };
  const warnings = settingNameWarnings(env);
  if (warnings.length > 0) {
    await write(
      process.stderr,
      [`Warning: settings read from ${source}:`, ...warnings.map((w) => `  ${w}`)].join('\n'),
    );
  }
  return { env, source };
}

/** Set once the settings are read: configuration errors say which .env that was (it is relative to the current directory). */
let settingsRead: string | undefined;

function sourced(error: unknown): unknown {
  return error instanceof ConfigError && error.source === undefined && settingsRead !== undefined
    ? new ConfigError(error.problems, settingsRead)
    : error;
}

function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'mail-updater: validate, preview, approve and send the daily compliance e-mails.',
    '',
    'Usage: npx mail-updater <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.slash ? ` (Slack: ${c.slash})` : ''}`),
    `  ${'serve'.padEnd(width)}  Start the Slack bot and the scheduler (needs Slack settings).`,
    '',
    'Run `npx mail-updater <command> --help` for its options.',
    `Settings come from .env in the current directory, under the environment (see .env.example); here: ${settingsSource().text}.`,
    '`npx mail-updater --version` prints the version; `help` lists the Slack slash commands beside the CLI forms.',
    'Exit codes: 0 success, 1 the job ran and found problems, 2 usage or configuration error.',
  ].join('\n');
}

function commandHelp(spec: Command): string {
  return [
    `Usage: npx mail-updater ${spec.usage}`,
    '',
    spec.summary,
    '',
    ...Object.entries(spec.flags).map(([name, f]) => `  --${name.padEnd(16)} ${f.description}`),
  ].join('\n');
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text.endsWith('\n') ? text : `${text}\n`, () => resolve()));
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  // Loaded for the question only: readline is six modules more at every command's start.
  const { createInterface } = requireCommonJs('node:readline/promises') as typeof import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question}\nType "yes" to send: `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

const SERVE_USAGE = [
  'Usage: npx mail-updater serve',
  '',
  'Start the Slack bot (slash commands, approval buttons) and the schedules (SCHEDULE_*_CRON).',
  'Needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode), SLACK_CHANNEL_ID and SLACK_APPROVER_IDS.',
  'Runs until stopped (SIGINT/SIGTERM); logs are JSON lines on stderr.',
].join('\n');

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    const { commands } = await import('../commands/index.js');
    await write(process.stdout, helpText(commands));
    return name === undefined ? ExitCode.usageOrConfig : ExitCode.ok;
  }
  if (name === '--version' || name === '-v' || name === '-V') {
    await write(process.stdout, packageVersion());
    return ExitCode.ok;
  }
  if (name === 'serve') {
    if (rest.includes('--help') || rest.includes('-h')) {
      await write(process.stdout, SERVE_USAGE);
      return ExitCode.ok;
    }
    if (rest.length > 0)
      throw new UsageError(`serve takes no options (got ${rest.join(' ')}). Run \`npx mail-updater serve --help\`.`);
    const { serve } = await import('./serve.js');
    const { env, source } = await readEnv();
    return serve(env, source);
  }
  const spec = await loadCommand(name);
  if (spec === undefined)
    throw new UsageError(`Unknown command "${name}". Run \`npx mail-updater --help\` for the list.`);
  if (rest.includes('--help') || rest.includes('-h')) {
    await write(process.stdout, commandHelp(spec));
    return ExitCode.ok;
  }
  const wantsJson = rest.includes('--json');
  const args = parseCommandArgs(spec, rest, `Run \`npx mail-updater ${name} --help\` for its options.`);
  const { env } = await readEnv();
  const config = loadConfig(env);
  // On a terminal the human output is the interface: info logs (JSON on the same stderr as the
  // progress lines) would interleave with it. Warnings and errors still show; LOG_LEVEL wins.
  const level = env.LOG_LEVEL === undefined && process.stderr.isTTY === true ? 'warn' : config.LOG_LEVEL;
  const logger = deferredLogger(level).child({ command: name });
  const now = (): Date => new Date();

  let db: StateDb | undefined;
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(ExitCode.problemsFound);
    void write(process.stderr, `${signal}: finishing the message in flight, then stopping (again to stop at once).`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal (ssh drop) must not cut a send off mid-message either.
  process.on('SIGHUP', onSignal);

  // isatty(0), not process.stdin.isTTY: making the stdin stream (a file's or a pipe's) took 5–7 ms
  // of every command. node:tty (which loads net and streams) is already loaded when stderr is a terminal.
  const interactive =
    process.stderr.isTTY === true && (requireCommonJs('node:tty') as typeof import('node:tty')).isatty(0);
  const ctx: CommandContext = {
    config,
    logger,
    now,
    actor: `cli:${userInfo().username}`,
    stateDb: () => (db ??= openStateDb(config.STATE_DB_PATH)),
    ...(interactive ? { confirm: confirmOnTerminal } : {}),
    progress: (line) => void write(process.stderr, line),
    signal: abort.signal,
  };
  try {
    const output = await spec.invoke(ctx, args);
    await write(process.stdout, wantsJson ? JSON.stringify(output.json, null, 2) : output.text);
    return output.exitCode;
  } finally {
    db?.close();
  }
}

async function reportError(thrown: unknown, wantsJson: boolean): Promise<number> {
  const error = sourced(thrown);
  const known = error instanceof UsageError || error instanceof JobRefusedError;
  const message = known
    ? error.message
    : `Unexpected error: ${(error as Error)?.stack ?? String(error)}\nThis is a bug in mail-updater; please report it with the lines above (run again with NODE_OPTIONS=--enable-source-maps to have them name the source files).`;
  if (wantsJson) {
    const code = error instanceof ConfigError ? 'config' : known ? error.code : 'unexpected';
    await write(
      process.stdout,
      JSON.stringify(
        { error: { code, message, ...(error instanceof ConfigError ? { problems: error.problems } : {}) } },
        null,
        2,
      ),
    );
  }
  await write(process.stderr, message);
  return exitCodeOf(error);
}

// Once the terminal is gone (SIGHUP), writes to it fail; a send must still finish cleanly.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const argv = process.argv.slice(2);
void main(argv)
  .catch((error: unknown) => reportError(error, argv.includes('--json')))
  .then((code) => process.exit(code));
