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

type NodeCrypto = typeof import('node:crypto');
// Not `crypto`: in the one-file CLI that name would hide the global Web Crypto object.
let cryptoModule: NodeCrypto | undefined;
/**
 * node:crypto, loaded when first used: with the stream modules it loads, it was 18 ms of every
 * command's start (before validation could start the day's query), and validation uses none of it.
 */
export const nodeCrypto = (): NodeCrypto => (cryptoModule ??= requireCommonJs('node:crypto') as NodeCrypto);

type ZodMini = typeof import('zod/mini');

/** The builders the one-file build exports (src/vendor/zod.ts): what config and Slack use. */
export type VendoredZod = {
  z: Pick<
    ZodMini,
    | '_default'
    | 'array'
    | 'coerce'
    | 'enum'
    | 'gte'
    | 'int'
    | 'lte'
    | 'maxLength'
    | 'minLength'
    | 'object'
    | 'optional'
    | 'pipe'
    | 'refine'
    | 'regex'
    | 'string'
    | 'transform'
    | 'url'
  >;
};

/**
 * zod, from its one-file build when `npm run build` made one (src/vendor/zod.ts says why), else
 * from its package: the sources run under the tests have no build beside them.
 */
export function requireZod(): VendoredZod {
  const bundled = fileURLToPath(new URL('../vendor/zod.cjs', import.meta.url));
  const installed = (requireCommonJs('zod/package.json') as { version: string }).version;
  return zodOf(existsSync(bundled) ? bundled : undefined, installed);
}

/**
 * The one-file build when it is of the installed version, else the package: a zod updated since
 * the last build (`npm update` does not build) is used as installed, not as it was bundled.
 */
export function zodOf(bundled: string | undefined, installedVersion: string): VendoredZod {
  if (bundled !== undefined) {
    const zod = requireCommonJs(bundled) as VendoredZod & { version: ZodMini['core']['version'] };
    const { major, minor, patch } = zod.version;
    if (`${major}.${minor}.${patch}` === installedVersion) return zod;
  }
  return { z: packaged() };
}

/** zod/mini from the package, with the English messages the one-file build sets too. */
function packaged(): ZodMini {
  const mini = requireCommonJs('zod/mini') as ZodMini;
  mini.config(
    (requireCommonJs('zod/v4/locales/en.js') as { default: () => Parameters<ZodMini['config']>[0] }).default(),
  );
  return mini;
}
