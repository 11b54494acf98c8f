/** A CommandContext for running commands in-process, with logs captured for inspection. */
import { Writable } from 'node:stream';
import type { CommandContext } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStateDb, type StateDb } from '../../src/storage/state-db.js';
import type { Workspace } from './workspace.js';

export interface TestContext {
  ctx: CommandContext;
  logs: string[];
  progress: string[];
  db(): StateDb;
  close(): void;
}

export function testContext(ws: Workspace, env: Env = {}, overrides: Partial<CommandContext> = {}): TestContext {
  const config = ws.config({ LOG_LEVEL: 'debug', ...env });
  const logs: string[] = [];
  const progress: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  let db: StateDb | undefined;
  const stateDb = (): StateDb => (db ??= openStateDb(config.STATE_DB_PATH));
  const ctx: CommandContext = {
    config,
    logger: createLogger('debug', sink),
    now: () => new Date(),
    actor: 'cli:tester',
    stateDb,
    progress: (line) => progress.push(line),
    ...overrides,
  };
  return { ctx, logs, progress, db: stateDb, close: () => db?.close() };
}

/** Settings for a live send to a local sink. */
export function smtpEnv(port: number, extra: Env = {}): Env {
  return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), MAIL_FROM: 'Study Team <study@example.org>', ...extra };
}

/** Rows of a query on the workspace's state DB, in a context of its own (opened and closed here). */
export function queryState(ws: Workspace, env: Env, sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const t = testContext(ws, env);
  try {
    return t
      .db()
      .prepare(sql)
      .all(...params) as Record<string, unknown>[];
  } finally {
    t.close();
  }
}
