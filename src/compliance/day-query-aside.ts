/**
 * The day's query in a worker thread, while this thread reads the roster. At 100,000
 * participants SQLite's scan of the day (about 0.15 s) and the roster's reading (about 0.5 s) do
 * not depend on each other, and on a second core the scan then costs no time. The DIDs come back
 * as a StringTable's arrays, transferred, not copied; errors come back as the same UsageError.
 * From TypeScript sources (the tests) it runs in this thread: the same code, no worker.
 */
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { StringTable, type StringTableParts } from '../util/string-table.js';
import { type DayResult, queryTheDay } from './day-query.js';
import type { DayQuery } from './db.js';
import type { Implausible } from './plausibility.js';

export interface DayQueryInput {
  dbPath: string;
  query: DayQuery;
  reportDate: string;
}

/** What the worker posts: the result, or the error it threw. */
export type DayQueryReply =
  | { columns: string[]; dids: StringTableParts; newest: string | undefined; implausible: [string, Implausible][] }
  | { error: { message: string; code: string | undefined; usage: boolean } };

/**
 * The worker's code as one CommonJS file (`npm run build` bundles it: src/vendor/build.mjs):
 * a worker started on an ES module first sets up the module loader and then loads
 * each file of its graph, while the roster's pass keeps the other core busy; that was 130–180 ms
 * before the query began, and the query, not the pass, was then what validation waited for.
 */
export const DAY_QUERY_WORKER_FILE = new URL('./day-query-worker.cjs', import.meta.url);
const compiled = import.meta.url.endsWith('.js');
/** Whether the query can run in a worker thread here (the built package) or only in this thread (TypeScript sources). */
export const DAY_QUERY_IN_WORKER = compiled;
/**
 * A worker takes 50–100 ms to start. A smaller roster is read before that (2 MB is about 25,000
 * participants), so for it the query runs in this thread, at once.
 */
export const WORKER_MIN_ROSTER_BYTES = 2 * 1024 * 1024;

/**
 * The day's result, when the worker has it (for a roster of `rosterBytes`). Errors reject the
 * promise (a caller that awaits it only later must mark it handled meanwhile).
 */
export function queryTheDayAside(input: DayQueryInput, rosterBytes: number): Promise<DayResult> {
  // A throw in the executor rejects: errors of this thread's query reach the caller the same way.
  const inThisThread = (): Promise<DayResult> =>
    new Promise((resolve) => resolve(queryTheDay(input.dbPath, input.query, input.reportDate)));
  if (!compiled || rosterBytes < WORKER_MIN_ROSTER_BYTES) return inThisThread();
  return new Promise((resolve, reject) => {
    let settled = false;
    // The worker could not start or died without answering (its file missing from a partial
    // deploy, out of memory): the day is read in this thread instead, and its own error, if any,
    // is the one reported.
    const fallBack = (): void => {
      if (settled) return;
      settled = true;
      resolve(inThisThread());
    };
    let worker: Worker;
    try {
      worker = new Worker(DAY_QUERY_WORKER_FILE, { workerData: input });
    } catch {
      fallBack();
      return;
    }
    worker.once('message', (reply: DayQueryReply) => {
      if (settled) return;
      settled = true;
      if ('error' in reply) reject(errorOf(reply.error));
      else resolve(resultOf(reply));
    });
    worker.once('error', fallBack);
    worker.once('exit', fallBack);
  });
}

/** In the worker: the reply for the query's result (its DIDs' arrays to transfer) or its error. */
export function replyOf(run: () => DayResult): { reply: DayQueryReply; transfer: ArrayBuffer[] } {
  try {
    const { day, newest, implausible } = run();
    const { parts, transfer } = day.dids.toParts();
    return { reply: { columns: day.columns, dids: parts, newest, implausible: [...implausible] }, transfer };
  } catch (error) {
    const { message, code } = error as Error & { code?: unknown };
    const usage = error instanceof UsageError;
    return { reply: { error: { message, code: typeof code === 'string' ? code : undefined, usage } }, transfer: [] };
  }
}

function resultOf(reply: Exclude<DayQueryReply, { error: unknown }>): DayResult {
  return {
    day: { columns: reply.columns, dids: StringTable.fromParts(reply.dids) },
    newest: reply.newest,
    implausible: new Map(reply.implausible),
  };
}

function errorOf(error: { message: string; code: string | undefined; usage: boolean }): Error {
  if (error.usage) return new UsageError(error.message, error.code);
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}
