/** Worker-thread entry for archive.ts: links each batch it is sent and reports failures. */
import { parentPort } from 'node:worker_threads';
import { linkAll } from './archive.js';

parentPort?.on('message', (pairs: [string, string][]) => parentPort?.postMessage(linkAll(pairs)));
