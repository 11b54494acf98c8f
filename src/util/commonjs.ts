/**
 * `require` for the CommonJS packages on every command's path (pino, better-sqlite3, dotenv, and
 * zod: see requireZod). Node 20 sends an `import` of such a package, and every `require` inside
 * it, through the ES module loader, which lexes each file for its exports and makes a module job
 * of it: 20–40 ms more at the start of every command. zod is only ever loaded by requireZod, so
 * that a process holds one copy of it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const requireCommonJs = createRequire(import.meta.url);

/**
 * zod, from its one-file build when `npm run build` made one (src/vendor/zod.ts says why), else
 * from its package: the sources run under the tests have no build beside them.
 */
export function requireZod(): Pick<typeof import('zod'), 'z'> {
  const bundled = fileURLToPath(new URL('../vendor/zod.cjs', import.meta.url));
  return (existsSync(bundled) ? requireCommonJs(bundled) : requireCommonJs('zod')) as Pick<typeof import('zod'), 'z'>;
}
