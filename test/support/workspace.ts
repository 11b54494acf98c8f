/**
 * A throw-away study workspace: a temp folder with a generated compliance DB and roster, the
 * environment that points at them, and a way to run the real CLI in it as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { type FixtureResult, generateFixture } from '../../fixtures/generate.js';
import { type Config, type Env, loadConfig } from '../../src/config.js';
import { yesterdayIn } from '../../src/util/dates.js';

export const CLI = resolve(import.meta.dirname, '../../dist/mail-updater.cjs');

/**
 * An Etc/GMT zone where it is around noon now, so "yesterday" and SEND_DEADLINE behave the same
 * whenever the tests run (CI at 23:00 UTC included).
 */
export function daytimeZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // local = UTC + offset
  if (offset === 0) return 'Etc/GMT';
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

export interface Workspace {
  dir: string;
  env: Env;
  reportDate: string;
  fixture: FixtureResult;
  config(extra?: Env): Config;
  writeRoster(rows: Record<string, string>[], columns?: string[]): void;
  cleanup(): void;
}

export function makeWorkspace(
  options: { participants?: number; days?: number; seed?: number; env?: Env } = {},
): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'mail-updater-test-'));
  const zone = daytimeZone();
  const reportDate = yesterdayIn(zone, new Date());
  const fixture = generateFixture({
    participants: options.participants ?? 30,
    days: options.days ?? 5,
    seed: options.seed ?? 7,
    endDate: reportDate,
    outDir: join(dir, 'data'),
  });
  const env: Env = {
    COMPLIANCE_DB_PATH: fixture.dbPath,
    PARTICIPANTS_CSV_PATH: fixture.rosterPath,
    STATE_DB_PATH: join(dir, 'var', 'state.db'),
    OUTBOX_DIR: join(dir, 'outbox'),
    STUDY_TZ: zone,
    LOG_LEVEL: 'silent',
    SEND_RETRY_BACKOFF_MS: '20',
    ...options.env,
  };
  return {
    dir,
    env,
    reportDate,
    fixture,
    config: (extra = {}) => loadConfig({ ...env, ...extra }),
    writeRoster(rows, columns) {
      const header = columns ?? Object.keys(rows[0] ?? { did: '', email: '' });
      writeFileSync(fixture.rosterPath, stringify([header, ...rows.map((r) => header.map((c) => r[c] ?? ''))]));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with exactly `env` (plus PATH and HOME), in `cwd`. */
export function runCli(
  args: string[],
  env: Env,
  options: {
    cwd?: string;
    onStderr?: (text: string) => void /** A real RLIMIT_FSIZE (ulimit -f) for disk-full tests. */;
    fileSizeLimitKb?: number;
  } = {},
): { done: Promise<CliResult>; kill: (signal: NodeJS.Signals) => void; pid: number | undefined } {
  const command =
    options.fileSizeLimitKb === undefined
      ? [process.execPath, CLI, ...args]
      : ['bash', '-c', `ulimit -f ${options.fileSizeLimitKb}; exec "$0" "$@"`, process.execPath, CLI, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.onStderr?.(d.toString());
  });
  const done = new Promise<CliResult>((resolvePromise) =>
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr })),
  );
  return { done, kill: (signal) => child.kill(signal), pid: child.pid };
}

export async function cli(args: string[], env: Env, cwd?: string): Promise<CliResult> {
  return runCli(args, env, cwd === undefined ? {} : { cwd }).done;
}
