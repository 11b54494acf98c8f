import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ExportArchiveError, readSingleEntry } from '../../../src/qualtrics/zip.js';

const KB = 1024;
const doc = strToU8(JSON.stringify({ responses: [{ responseId: 'R_1', values: {} }] }));

/** Rewrites the declared uncompressed size in both the local and the central header: a lying ZIP. */
function lieAboutSize(zip: Uint8Array, size: number): Buffer {
  const b = Buffer.from(zip);
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b.readUInt32LE(i) === 0x04034b50) b.writeUInt32LE(size, i + 22);
    if (b.readUInt32LE(i) === 0x02014b50) b.writeUInt32LE(size, i + 24);
  }
  return b;
}

describe('the export ZIP is bounded', () => {
  it('reads a normal export, deflated or stored', () => {
    expect(Buffer.from(readSingleEntry(zipSync({ 'a.json': doc })).bytes).equals(Buffer.from(doc))).toBe(true);
    expect(readSingleEntry(zipSync({ 'a.json': [doc, { level: 0 }] })).name).toBe('a.json');
  });

  it('refuses an entry whose declared size is over the cap, before inflating', () => {
    const zeros = new Uint8Array(300 * KB);
    const zip = zipSync({ 'bomb.json': zeros });
    expect(zip.length).toBeLessThan(2 * KB);
    expect(() => readSingleEntry(zip, 256 * KB)).toThrow(ExportArchiveError);
    expect(() => readSingleEntry(zip, 256 * KB)).toThrow(
      /declares 0\.3 MB uncompressed, over the limit of 0\.3 MB uncompressed \(MAX_EXPORT_UNCOMPRESSED_BYTES\)/,
    );
  });

  it('stops inflating at the cap when the declared size lies', () => {
    const zip = lieAboutSize(zipSync({ 'bomb.json': new Uint8Array(4096 * KB) }), 100);
    expect(() => readSingleEntry(zip, 1024 * KB)).toThrow(/inflates to more than it declares, over the limit of 1 MB/);
  });

  it('refuses many entries from the central directory, and names at most the files it found', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.json`, doc]));
    expect(() => readSingleEntry(zipSync(many))).toThrow(/holds 40 entries; exactly one JSON file/);
    expect(() => readSingleEntry(zipSync({ 'a.json': doc, 'b.json': doc }))).toThrow(/holds 2 files/);
    expect(readSingleEntry(zipSync({ 'dir/': new Uint8Array(0), 'dir/a.json': doc })).name).toBe('dir/a.json');
  });

  it('reports a truncated or corrupt archive as unreadable', () => {
    const zip = zipSync({ 'a.json': doc });
    expect(() => readSingleEntry(zip.subarray(0, zip.length - 10))).toThrow(/not a readable ZIP/);
    const cut = Buffer.from(zip);
    cut.fill(0, 30, 40);
    expect(() => readSingleEntry(cut)).toThrow(/not a readable ZIP/);
  });
});
