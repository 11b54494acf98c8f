import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCrypto } from './commonjs.js';

/** Creates a folder (and its parents) readable by the owner only: it holds participants' data. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

export function ensureParentDir(filePath: string): void {
  mkdirSync(dirname(resolve(filePath)), { recursive: true });
}

let cachedRoot: string | undefined;

/** The package's own folder (where package.json is), whether run from src/ via tsx or dist/. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'mail-updater') {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the mail-updater package folder (package.json).');
    dir = parent;
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems do not allow fsync on a folder; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces (or creates) `path` with `content` so that a crash at any moment leaves either the old
 * file or the new one, never a part: a temporary file of its own in the same folder, flushed, then
 * renamed over `path`, and the folder flushed. The file gets `mode` whatever the umask. On failure
 * the temporary file is removed (only ours) and the error thrown as it came.
 */
export function writeFileAtomically(path: string, content: Buffer, mode: number): void {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}.tmp`,
  );
  let fd: number | undefined;
  let created = false;
  try {
    fd = openSync(temp, 'wx', mode);
    created = true;
    fchmodSync(fd, mode);
    for (let offset = 0; offset < content.length; ) offset += writeSync(fd, content, offset, content.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    fsyncDir(dirname(path));
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    if (created) rmSync(temp, { force: true });
    throw error;
  }
}
