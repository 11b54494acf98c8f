/**
 * `require` for the CommonJS packages on every command's path (zod's CommonJS build, pino,
 * better-sqlite3, dotenv). Node 20 sends an `import` of such a package, and every `require`
 * inside it, through the ES module loader, which lexes each file for its exports and makes a
 * module job of it: zod's 95 files, pino's 30 and the rest cost 20–40 ms more that way at the
 * start of every command. zod is only ever required, never imported, so that a process holds one copy of it.
 */
import { createRequire } from 'node:module';

export const requireCommonJs = createRequire(import.meta.url);
