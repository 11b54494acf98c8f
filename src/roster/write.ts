/**
 * Safe replacement of the roster: the previous file is copied to <roster>.bak-<timestamp> first,
 * the new content is written to a temp file in the same folder, flushed to disk and renamed over
 * the roster. A failure at any step leaves the roster byte-for-byte as it was.
 */

import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { writeFileAtomically } from '../util/fs.js';

export function backupPathFor(path: string, at: Date): string {
  return `${path}.bak-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * The backup holds every participant's address: owner-only (0600) whatever the roster's own
 * mode, and never over an existing file.
 */
function writePrivateCopy(from: string, to: string): void {
  const bytes = readFileSync(from);
  const fd = openSync(to, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600); // whatever the umask
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Returns the backup's path. Throws (with the roster untouched) when any step fails. */
export function replaceWithBackup(path: string, content: Buffer, at: Date): string {
  const backup = backupPathFor(path, at);
  writePrivateCopy(path, backup);
  writeFileAtomically(path, content, statSync(path).mode & 0o777);
  return backup;
}
