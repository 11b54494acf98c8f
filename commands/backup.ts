/**
 * `backup --out FILE`: a consistent copy of the state DB (ledger, runs, audit), safe while the
 * bot is sending. The copy holds DIDs and masked addresses: it is written owner-only (0600).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineCommand } from '../src/command.js';
import { cannotWrite, ExitCode, UsageError } from '../src/errors.js';
import { BackupExists, backupStateDb } from '../src/storage/backup.js';
import { ensureParentDir } from '../src/util/fs.js';
import { jsonFlag, noPositionals } from './options.js';

/** The same file, through whatever links or relative paths name it. */
function sameFile(a: string, b: string): boolean {
  const real = (path: string): string => {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  };
  return real(a) === real(b);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const exists = (path: string): UsageError =>
  new UsageError(
    `${path} already exists; backup does not overwrite a file. Choose another --out, or add --force to replace it.`,
  );

export const backup = defineCommand({
  name: 'backup',
  summary: 'Copy the state database (consistent even while the bot sends) to a file, owner-only.',
  usage: 'backup --out FILE [--force] [--json]',
  flags: {
    out: { type: 'string', description: 'where to write the copy' },
    force: { type: 'boolean', description: 'replace --out if it exists' },
    json: jsonFlag,
  },
  parse(flags, positionals) {
    noPositionals(positionals);
    if (typeof flags.out !== 'string' || flags.out.trim() === '')
      throw new UsageError('Say where to write the copy: backup --out FILE (e.g. --out backups/state-2026-03-01.db).');
    return { out: flags.out, force: flags.force === true };
  },
  async run(ctx, options) {
    if (isFolder(options.out))
      throw new UsageError(
        `--out ${options.out} is a folder; name the file to write, e.g. ${join(options.out, 'state-backup.db')}.`,
      );
    if (sameFile(options.out, ctx.config.STATE_DB_PATH))
      throw new UsageError(
        `--out ${options.out} is the state database itself (STATE_DB_PATH); a backup goes to another file, e.g. ${options.out}.backup.`,
      );
    if (!options.force && existsSync(options.out)) throw exists(options.out);
    const db = ctx.stateDb();
    try {
      ensureParentDir(options.out);
      return await backupStateDb(db, options.out, options.force);
    } catch (error) {
      if (error instanceof BackupExists) throw exists(error.path);
      throw cannotWrite('the backup', options.out, error, 'Choose another --out, in a folder this user can write.');
    }
  },
  exitCode: () => ExitCode.ok,
  text: (r) =>
    `Backed up the state database to ${r.path} (${r.pages} pages, ${r.bytes} bytes; ${r.runs} run(s), ${r.messages} ledger row(s); mode 0600).`,
  json: (r) => r,
});
