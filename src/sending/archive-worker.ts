/** Worker-thread entry for archive.ts: writes each batch it is sent and reports failures. */
import { parentPort } from 'node:worker_threads';
import { type ArchiveEntry, writeAll } from './archive.js';

parentPort?.on('message', (entries: ArchiveEntry[]) => parentPort?.postMessage(writeAll(entries)));
