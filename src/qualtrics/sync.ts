/**
 * One Qualtrics sync: export → ZIP → responses → mapped rows → merge → (unless dry run) backup
 * and atomic write. Two syncs cannot interleave (a lock in the state DB), and a roster edited
 * by hand while the export ran is not overwritten. Any failure leaves the roster untouched.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Config } from '../config.js';
import { ConfigError, type ConfigProblem, JobRefusedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseRoster, readRosterBytes } from '../roster/read.js';
import { replaceWithBackup } from '../roster/write.js';
import { acquireLock, SYNC_LOCK_NAME } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';
import { QualtricsClient, QualtricsError, type QualtricsSettings } from './client.js';
import { type FieldMapping, type MappingResult, mapResponses, parseExport, parseFieldMap } from './mapping.js';
import { type MergeResult, mergeResponses } from './merge.js';
import { readSingleEntry } from './zip.js';

export interface SyncDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  signal?: AbortSignal;
  /** Overrides for tests: poll pacing and retry back-off. */
  clientOverrides?: Partial<QualtricsSettings>;
}

export interface SyncSummary extends MergeResult {
  dryRun: boolean;
  responses: number;
  ignored: MappingResult['ignored'];
  backupPath: string | null;
  written: boolean;
}

export function qualtricsSettings(
  config: Config,
): Pick<QualtricsSettings, 'baseUrl' | 'apiToken' | 'surveyId' | 'exportTimeoutMs'> {
  const problems: ConfigProblem[] = [];
  if (config.QUALTRICS_BASE_URL === undefined)
    problems.push({
      variable: 'QUALTRICS_BASE_URL',
      message:
        'is not set; set it to your datacenter host, e.g. https://iad1.qualtrics.com (Account Settings → Qualtrics IDs).',
    });
  if (config.QUALTRICS_API_TOKEN === undefined)
    problems.push({
      variable: 'QUALTRICS_API_TOKEN',
      message: 'is not set; generate a token under Account Settings → Qualtrics IDs → API.',
    });
  if (config.QUALTRICS_SURVEY_ID === undefined)
    problems.push({ variable: 'QUALTRICS_SURVEY_ID', message: "is not set; use the enrolment survey's ID (SV_...)." });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    baseUrl: config.QUALTRICS_BASE_URL!,
    apiToken: config.QUALTRICS_API_TOKEN!,
    surveyId: config.QUALTRICS_SURVEY_ID!,
    exportTimeoutMs: config.QUALTRICS_EXPORT_TIMEOUT_S * 1000,
  };
}

/** Text appended to the roster: the same line ending as the file, after a newline if it lacks one. */
function appendedBytes(original: Buffer, rows: string[][]): Buffer {
  const text = original.toString('utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lead = text.length === 0 || text.endsWith('\n') ? '' : eol;
  return Buffer.concat([
    original,
    Buffer.from(lead + stringify(rows, { record_delimiter: eol === '\r\n' ? 'windows' : 'unix' }), 'utf8'),
  ]);
}

async function fetchResponses(
  deps: SyncDeps,
  settings: QualtricsSettings,
  mappings: readonly FieldMapping[],
): Promise<{ mapping: MappingResult; responses: number }> {
  const client = new QualtricsClient(settings, deps.logger.child({ component: 'qualtrics' }));
  let zip: Buffer;
  try {
    zip = await client.exportResponses(deps.signal);
  } catch (error) {
    if (error instanceof QualtricsError && (error.status === 401 || error.status === 403)) {
      throw new ConfigError([
        {
          variable: 'QUALTRICS_API_TOKEN',
          message: `was refused: ${error.message}. Check the token (and that it belongs to a user who can see ${deps.config.QUALTRICS_SURVEY_ID}).`,
        },
      ]);
    }
    throw error;
  }
  const entry = readSingleEntry(zip, settings.maxUncompressedBytes);
  const all = parseExport(entry.bytes, entry.name);
  return { mapping: mapResponses(all, mappings), responses: all.length };
}

export async function syncParticipants(deps: SyncDeps, options: { dryRun: boolean }): Promise<SyncSummary> {
  const { config } = deps;
  const rosterPath = config.PARTICIPANTS_CSV_PATH;
  // Settings first: a missing variable or a bad field map is reported before anything is locked.
  const settings = { ...qualtricsSettings(config), ...deps.clientOverrides };
  const mappings = parseFieldMap(config.QUALTRICS_FIELD_MAP);
  const lock = options.dryRun ? undefined : acquireLock(deps.db, SYNC_LOCK_NAME, deps.now);
  try {
    const { mapping, responses } = await fetchResponses(deps, settings, mappings);
    const original = readRosterBytes(rosterPath);
    const roster = parseRoster(original);
    const broken = roster.findings.filter((f) => f.scope === 'run' && f.severity === 'error');
    if (broken.length > 0) {
      throw new JobRefusedError(
        `The roster ${rosterPath} cannot be read reliably (${broken.map((f) => f.message).join(' ')}); fix it before syncing, so that nothing in it is lost.`,
        'roster_unreadable',
      );
    }
    const merged = mergeResponses(roster, mapping.mapped, mappings);
    let backupPath: string | null = null;
    if (!options.dryRun && merged.newRows.length > 0) {
      // Someone may have edited the roster by hand while the export ran: never overwrite that.
      if (!readFileSync(rosterPath).equals(original))
        throw new JobRefusedError(
          `The roster ${rosterPath} changed while the sync ran; nothing was written. Run the sync again.`,
          'roster_changed',
        );
      try {
        backupPath = replaceWithBackup(rosterPath, appendedBytes(original, merged.newRows), deps.now());
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new JobRefusedError(
          `Could not write the new roster next to ${rosterPath} (${code}: ${(error as Error).message}). Check free disk space and permissions on that folder, then run the sync again.`,
          'roster_write_failed',
        );
      }
    }
    return {
      ...merged,
      dryRun: options.dryRun,
      responses,
      ignored: mapping.ignored,
      backupPath,
      written: backupPath !== null,
    };
  } finally {
    lock?.release();
  }
}
