/**
 * `npm run build`'s one-file builds, made with esbuild once tsc has written dist/. Node 20 loads
 * an ES module graph file by file, each resolved, read, compiled and linked on its own; one
 * CommonJS file of the same code starts in a fraction of the time:
 *
 * - dist/mail-updater.cjs: the CLI, the package's bin (80 files; 45 ms less at every command's start);
 * - dist/src/compliance/day-query-worker.cjs: the day-query worker (day-query-aside.ts says why);
 * - dist/src/vendor/zod.cjs: zod/mini's builders (src/vendor/zod.ts).
 *
 * They are made from tsc's output, so that they hold the code dist/src holds. Each module keeps
 * its own `import.meta.url`, its file's in dist/, so that what it finds from there (a worker's
 * file, zod's build, the package's folder) is what the unbundled build finds. Packages stay
 * outside, `require`d from node_modules: a package that is an ES module only (Vega) must be
 * loaded with `await import()`, which stays an import; a static import of one is refused here,
 * as `require` would fail on it at run time (on Vega's top-level await).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
// tsc has just written it: the project's own atomic writer (temporary file, fsync, rename).
import { writeFileAtomically } from '../../dist/src/util/fs.js';

const root = resolve(import.meta.dirname, '../..');
const dist = resolve(root, 'dist');

/** The folder of the bundle, as a URL: the base of each module's own URL. */
const BANNER = "'use strict'; const __bundle_folder_url = require('node:url').pathToFileURL(__dirname + '/').href;";

/** Each dist/ module's `import.meta.url` as its own file's URL, relative to the bundle's folder. */
function ownModuleUrls(outfile) {
  return {
    name: 'own-module-urls',
    setup(bundler) {
      bundler.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dist + sep)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const own = relative(dirname(outfile), args.path).split(sep).join('/');
        const url = `const import_meta_url = new URL(${JSON.stringify(own)}, __bundle_folder_url).href;\n`;
        return { contents: url + source.replaceAll('import.meta.url', 'import_meta_url'), loader: 'js' };
      });
    },
  };
}

/** Whether `file` is an ES module (by its extension or its package's "type"). */
function isEsModule(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type === 'module';
  }
  return false;
}

/** A package the bundle would `require` must have a CommonJS build (what `require` resolves to). */
const requirablePackages = {
  name: 'requirable-packages',
  setup(bundler) {
    bundler.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'dynamic-import' || args.path.startsWith('node:')) return undefined;
      let file;
      try {
        file = createRequire(args.importer).resolve(args.path);
      } catch {
        file = undefined;
      }
      if (file !== undefined && !isEsModule(file)) return undefined;
      return {
        errors: [
          {
            text: `${args.path} has no CommonJS build, and the one-file build would require() it: load it with \`await import('${args.path}')\` where it is used`,
          },
        ],
      };
    });
  },
};

/** The bin: executable, as npx runs it by its shebang (and sets the mode only the first time it meets a folder). */
const BIN = 'dist/mail-updater.cjs';

async function oneFile(entry, outfile, options = {}) {
  const result = await build({
    entryPoints: [resolve(root, entry)],
    outfile: resolve(root, outfile),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    write: false,
    ...options,
  });
  // A warning (an import.meta left, say) would be a bundle that behaves unlike dist/src: refused.
  if (result.warnings.length > 0)
    throw new Error(`esbuild warned about ${outfile}:\n${result.warnings.map((w) => w.text).join('\n')}`);
  // Each file whole or not at all: an install stopped mid-build must not leave a bin cut short.
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileAtomically(file.path, Buffer.from(file.contents), file.path === resolve(root, BIN) ? 0o755 : 0o644);
  }
}

const fromDist = (outfile) => ({
  packages: 'external',
  // Back to the TypeScript through tsc's maps: `NODE_OPTIONS=--enable-source-maps` then names
  // src/ files and lines in a stack trace (README, Troubleshooting). Node reads no map without it.
  sourcemap: 'linked',
  banner: { js: BANNER },
  plugins: [requirablePackages, ownModuleUrls(resolve(root, outfile))],
});

await oneFile('src/vendor/zod.ts', 'dist/src/vendor/zod.cjs');
await oneFile(
  'dist/src/compliance/day-query-worker.js',
  'dist/src/compliance/day-query-worker.cjs',
  fromDist('dist/src/compliance/day-query-worker.cjs'),
);
await oneFile('dist/src/cli.js', BIN, fromDist(BIN));
// tsc's entry, for services installed with it (test/unit/built-cli.test.ts runs both by their shebang).
chmodSync(resolve(root, 'dist/src/cli.js'), 0o755);
