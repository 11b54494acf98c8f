/**
 * The export's ZIP, read in memory: the archive's structure by hand, the data inflated with
 * node:zlib. The central directory is read first: exactly one file is expected, and its
 * declared size must be under the cap before a byte is inflated. Declared sizes can lie, so
 * zlib's output is capped too (maxOutputLength): a small "zip bomb" cannot take the process's
 * memory. The entry's name is only ever reported, never used as a path (a crafted "../../x"
 * entry cannot write anywhere).
 */
import { inflateRawSync } from 'node:zlib';

/**
 * The largest export we inflate. An enrolment export is a few KB per response: 200 MB is far
 * above any real study's roster, and far below what would hurt the bot's process.
 */
export const MAX_EXPORT_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
/** More entries than this and the central directory is not even read through. */
const MAX_ENTRIES = 16;

export class ExportArchiveError extends Error {
  override readonly name = 'ExportArchiveError';
}

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

const mb = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
const notZip = (why: string): ExportArchiveError =>
  new ExportArchiveError(
    `The Qualtrics export is not a readable ZIP file (${why}). Run the sync again; if it persists, download the export by hand to check it.`,
  );
const tooLarge = (size: string, limit: number): ExportArchiveError =>
  new ExportArchiveError(
    `The Qualtrics export ${size}, over the limit of ${mb(limit)} uncompressed (MAX_EXPORT_UNCOMPRESSED_BYTES); it was not read. An enrolment survey's export is far smaller: check that QUALTRICS_SURVEY_ID is the enrolment survey.`,
  );

/** The End Of Central Directory record (ZIP64 aware): where the directory is and how many entries. */
function endOfDirectory(zip: Buffer): { count: number; offset: number } {
  const floor = Math.max(0, zip.length - 22 - 0xffff);
  for (let i = zip.length - 22; i >= floor; i--) {
    if (zip.readUInt32LE(i) !== 0x06054b50) continue;
    let count = zip.readUInt16LE(i + 10);
    let offset = zip.readUInt32LE(i + 16);
    if ((count === 0xffff || offset === 0xffffffff) && i >= 20 && zip.readUInt32LE(i - 20) === 0x07064b50) {
      const at = Number(zip.readBigUInt64LE(i - 12));
      if (at + 56 > zip.length || zip.readUInt32LE(at) !== 0x06064b50) throw notZip('broken ZIP64 directory');
      count = Number(zip.readBigUInt64LE(at + 32));
      offset = Number(zip.readBigUInt64LE(at + 48));
    }
    return { count, offset };
  }
  throw notZip('no central directory');
}

function centralDirectory(zip: Buffer): CentralEntry[] {
  const { count, offset } = endOfDirectory(zip);
  if (count > MAX_ENTRIES)
    throw new ExportArchiveError(
      `The Qualtrics export ZIP holds ${count} entries; exactly one JSON file was expected. Check that the export format is "json".`,
    );
  const entries: CentralEntry[] = [];
  let at = offset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) throw notZip('broken central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const entry: CentralEntry = {
      name: zip.toString('utf8', at + 46, Math.min(zip.length, at + 46 + nameLength)),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      uncompressedSize: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
    };
    // ZIP64: the real sizes are in the extra field, in this order, for the ones marked 0xffffffff.
    const extraEnd = Math.min(zip.length, at + 46 + nameLength + extraLength);
    for (let x = at + 46 + nameLength; x + 4 <= extraEnd; x += 4 + zip.readUInt16LE(x + 2)) {
      if (zip.readUInt16LE(x) !== 0x0001) continue;
      let field = x + 4;
      const next = (): number => {
        if (field + 8 > extraEnd) throw notZip('broken ZIP64 sizes');
        const value = Number(zip.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localOffset === 0xffffffff) entry.localOffset = next();
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** Inflates one entry's data; zlib stops (ERR_BUFFER_TOO_LARGE) as soon as the output passes the limit. */
function inflateBounded(data: Uint8Array, limit: number): Uint8Array {
  try {
    return inflateRawSync(data, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge('inflates to more than it declares', limit);
    throw error;
  }
}

export function readSingleEntry(
  zip: Uint8Array,
  maxUncompressedBytes = MAX_EXPORT_UNCOMPRESSED_BYTES,
): { name: string; bytes: Uint8Array } {
  const buffer = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const files = centralDirectory(buffer).filter((entry) => !entry.name.endsWith('/'));
  if (files.length !== 1) {
    const names = files.map((f) => JSON.stringify(f.name.slice(0, 100))).join(', ');
    throw new ExportArchiveError(
      `The Qualtrics export ZIP holds ${files.length} files (${names || 'none'}); exactly one JSON file was expected. Check that the export format is "json".`,
    );
  }
  const entry = files[0]!;
  if (entry.uncompressedSize > maxUncompressedBytes)
    throw tooLarge(`declares ${mb(entry.uncompressedSize)} uncompressed`, maxUncompressedBytes);
  const at = entry.localOffset;
  if (at + 30 > buffer.length || buffer.readUInt32LE(at) !== 0x04034b50) throw notZip('broken local header');
  const start = at + 30 + buffer.readUInt16LE(at + 26) + buffer.readUInt16LE(at + 28);
  if (start + entry.compressedSize > buffer.length) throw notZip('the file is cut short');
  const data = buffer.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (data.length > maxUncompressedBytes) throw tooLarge(`holds ${mb(data.length)}`, maxUncompressedBytes);
    return { name: entry.name, bytes: data };
  }
  if (entry.method !== 8) throw notZip(`compression method ${entry.method}, expected deflate`);
  try {
    return { name: entry.name, bytes: inflateBounded(data, maxUncompressedBytes) };
  } catch (error) {
    if (error instanceof ExportArchiveError) throw error;
    throw notZip((error as Error).message);
  }
}
