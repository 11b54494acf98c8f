/**
 * Worker-thread entry for day-query-aside.ts: runs the day's query once, posts the reply and ends.
 * Built as one CommonJS file, dist/src/compliance/day-query-worker.cjs (day-query-aside.ts says
 * why); `import.meta.url` is that file's URL there (src/vendor/build.mjs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { queryTheDay } from './day-query.js';
import { type DayQueryInput, replyOf } from './day-query-aside.js';

const { dbPath, query, reportDate } = workerData as DayQueryInput;
const { reply, transfer } = replyOf(() => queryTheDay(dbPath, query, reportDate));
parentPort?.postMessage(reply, transfer);
