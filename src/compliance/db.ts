/**
 * Read-only access to the compliance database (owned by another pipeline). The file is opened
 * with SQLITE_OPEN_READONLY: nothing here can write to it, not even a journal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { UsageError } from '../errors.js';
import { requireCommonJs } from '../util/commonjs.js';
import { packageRoot } from '../util/fs.js';
import { StringTable } from '../util/string-table.js';

const Database = requireCommonJs('better-sqlite3') as typeof BetterSqlite3;

export type ComplianceDb = BetterSqlite3.Database;
export type ComplianceRow = Record<string, unknown> & { did: string };

/** What validation needs of a day: which DIDs have data, and which fields the query provides. */
export interface DayData {
  columns: string[];
  /** DIDs with a row on :day (the rows themselves are streamed again when rendering). */
  dids: StringTable;
}

const COMPLIANCE_CACHE_KB = 2048;

export function openComplianceDb(path: string): ComplianceDb {
  if (!existsSync(path)) {
    throw new UsageError(
      `The compliance database COMPLIANCE_DB_PATH=${path} does not exist. Point COMPLIANCE_DB_PATH at the compliance SQLite file, ` +
        'or run `npx mail-updater create-fixture` for a local test database.',
      'compliance_db_missing',
    );
  }
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // forces the header to be read
    // Every read here is one pass over a day (or a study-to-date scan): a page is rarely read
    // twice, so the default 16 MB page cache would only grow with the study.
    db.pragma(`cache_size = -${COMPLIANCE_CACHE_KB}`);
    return db;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) throw complianceLocked(path, code);
    throw new UsageError(
      `The compliance database COMPLIANCE_DB_PATH=${path} cannot be read: ${(error as Error).message}. ` +
        'Check that it is the SQLite file written by the compliance pipeline (not a partial copy) and that it is readable.',
      'compliance_db_unreadable',
    );
  }
}

/** The pipeline is writing the database right now: not a broken file, so not "a partial copy". */
export function complianceLocked(path: string, code: string): UsageError {
  return new UsageError(
    `The compliance database COMPLIANCE_DB_PATH=${path} is locked by another process (${code}): the compliance pipeline (or another tool) is writing it. ` +
      'Wait for it to finish and run this again, or point COMPLIANCE_DB_PATH at a finished copy.',
    'compliance_db_locked',
  );
}

/** Rethrows a lock held by another process (while querying) as `complianceLocked`. */
export function explainComplianceError(error: unknown, path: string): unknown {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? complianceLocked(path, code) : error;
}

export function builtInQueryPath(): string {
  return join(packageRoot(), 'src', 'compliance', 'daily-compliance.sql');
}

/** The compliance query: its SQL, and where it came from. */
export interface DayQuery {
  sql: string;
  /** 'built-in', or the path of COMPLIANCE_QUERY_PATH. */
  source: string;
}

export function loadQuery(queryPath: string | undefined): DayQuery {
  const path = queryPath ?? builtInQueryPath();
  try {
    return { sql: readFileSync(path, 'utf8'), source: queryPath === undefined ? 'built-in' : path };
  } catch (error) {
    throw new UsageError(
      `Cannot read the compliance query COMPLIANCE_QUERY_PATH=${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Point it at a .sql file, or unset it to use the built-in query.`,
      'query_unreadable',
    );
  }
}

function prepareQuery(db: ComplianceDb, sql: string, source: string): BetterSqlite3.Statement {
  try {
    return db.prepare(sql);
  } catch (error) {
    throw new UsageError(
      `The compliance query (${source}) does not run against COMPLIANCE_DB_PATH: ${(error as Error).message}. ` +
        'Fix the SQL, or check that the database has the expected tables (daily_compliance).',
      'query_invalid',
    );
  }
}

function dayStatement(
  db: ComplianceDb,
  sql: string,
  source: string,
): { statement: BetterSqlite3.Statement; columns: string[] } {
  const statement = prepareQuery(db, sql, source);
  if (!statement.reader)
    throw new UsageError(
      `The compliance query (${source}) returns no rows (it is not a SELECT). It must be one SELECT of the day's rows, with :day as its parameter.`,
      'query_not_select',
    );
  const columns = statement.columns().map((c) => c.name);
  if (!columns.includes('did')) {
    throw new UsageError(
      `The compliance query (${source}) returns no "did" column. Select the participant's DID AS did.`,
      'query_no_did',
    );
  }
  return { statement, columns };
}

/**
 * Opens the database and prepares the query, and closes it again: the errors of a wrong setting
 * (no file, not SQLite, SQL that does not compile or has no did column) before anything else is read.
 */
export function checkDayQuery(path: string, query: DayQuery): void {
  const db = openComplianceDb(path);
  try {
    dayStatement(db, query.sql, query.source);
  } catch (error) {
    throw explainComplianceError(error, path);
  } finally {
    db.close();
  }
}

function queryFailed(source: string, day: string, error: unknown): UsageError {
  return new UsageError(
    `The compliance query (${source}) failed for ${day}: ${(error as Error).message}. Fix the SQL; it takes one parameter, :day.`,
    'query_failed',
  );
}

/**
 * Runs the query for :day keeping only the DIDs: memory stays small however large the study.
 * The query is wrapped as SELECT did FROM (...) so that SQLite can skip work for columns nobody
 * reads here; if the user's SQL cannot be wrapped, it runs as written.
 */
export function queryDay(
  db: ComplianceDb,
  sql: string,
  source: string,
  day: string,
  /** A cheaper listing of the same DIDs, when one is known to be equivalent (day-dids.ts). */
  listDids?: (db: ComplianceDb, day: string) => DidListing,
): DayData {
  const { statement, columns } = dayStatement(db, sql, source);
  let dids: StringTable;
  try {
    const listed: DidListing = listDids?.(db, day) ?? didsOf(db, statement, sql, columns, day);
    // Sized once when the count is known: growing a table places every key again, ten times for 100,000.
    dids = new StringTable(listed.expected ?? 0);
    for (const did of listed) dids.add(String(did));
  } catch (error) {
    throw queryFailed(source, day, error);
  }
  return { columns, dids };
}

/** A day's DIDs as a cheaper query lists them, with their count when it is known first. */
export type DidListing = Iterable<unknown> & { expected?: number };

function* didsOf(
  db: ComplianceDb,
  statement: BetterSqlite3.Statement,
  sql: string,
  columns: string[],
  day: string,
): Generator<unknown> {
  let wrapped: BetterSqlite3.Statement | undefined;
  try {
    wrapped = db.prepare(`SELECT did FROM (${sql.trim().replace(/;+$/, '')}\n)`).pluck(true);
  } catch {
    wrapped = undefined;
  }
  if (wrapped !== undefined) {
    yield* wrapped.iterate({ day });
    return;
  }
  const didIndex = columns.indexOf('did');
  for (const row of statement.raw(true).iterate({ day }) as IterableIterator<unknown[]>) yield row[didIndex];
}

/** Streams the query's rows for :day, one at a time (for rendering). */
export function* iterateDay(db: ComplianceDb, sql: string, source: string, day: string): Generator<ComplianceRow> {
  const { statement } = dayStatement(db, sql, source);
  let rows: IterableIterator<ComplianceRow>;
  try {
    rows = statement.iterate({ day }) as IterableIterator<ComplianceRow>;
  } catch (error) {
    throw queryFailed(source, day, error);
  }
  yield* rows;
}

/** The newest day in the built-in table, to say how stale the data is; undefined for other schemas. */
export function latestDay(db: ComplianceDb): string | undefined {
  try {
    const row = db.prepare('SELECT MAX(day) AS day FROM daily_compliance').get() as { day: string | null } | undefined;
    return row?.day ?? undefined;
  } catch {
    return undefined;
  }
}
