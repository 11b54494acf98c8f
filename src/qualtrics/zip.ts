/**
 * The export's ZIP, read in memory with fflate. Exactly one entry is expected; its name is only
 * ever reported, never used as a path (a crafted "../../x" entry cannot write anywhere).
 */
import { unzipSync } from 'fflate';

/** A roster export is small; anything near this is not an enrolment survey's export. */
const MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;

export class ExportArchiveError extends Error {
  override readonly name = 'ExportArchiveError';
}

export function readSingleEntry(zip: Uint8Array): { name: string; bytes: Uint8Array } {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (file) => {
        if (file.originalSize > MAX_UNCOMPRESSED_BYTES)
          throw new ExportArchiveError(
            `the entry is ${file.originalSize} bytes uncompressed, more than an export can be`,
          );
        return true;
      },
    });
  } catch (error) {
    throw new ExportArchiveError(
      `The Qualtrics export is not a readable ZIP file (${(error as Error).message}). Run the sync again; if it persists, download the export by hand to check it.`,
    );
  }
  const names = Object.keys(entries).filter((name) => !name.endsWith('/'));
  if (names.length !== 1) {
    throw new ExportArchiveError(
      `The Qualtrics export ZIP holds ${names.length} files (${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}); exactly one JSON file was expected. Check that the export format is "json".`,
    );
  }
  return { name: names[0]!, bytes: entries[names[0]!]! };
}
