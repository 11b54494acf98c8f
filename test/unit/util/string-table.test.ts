import { describe, expect, it } from 'vitest';
import { hashOf, hashOfBytes, StringTable } from '../../../src/util/string-table.js';
import { seededRandom as random } from '../../support/random.js';

describe('StringTable', () => {
  it('answers exactly like a Set, across every growth of its arrays, with numbers in order of adding', () => {
    const next = random(7);
    const alphabet = ['a', 'B', '0', '.', '_', 'é', 'ø', '東', '😀', ' '];
    const table = new StringTable();
    const reference = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const length = Math.floor(next() * 12);
      let key = '';
      for (let j = 0; j < length; j++) key += alphabet[Math.floor(next() * alphabet.length)];
      const index = table.add(key);
      if (!reference.has(key)) reference.set(key, reference.size);
      expect(index).toBe(reference.get(key));
    }
    expect(table.size).toBe(reference.size);
    for (const [key, index] of reference) {
      expect(table.indexOf(key)).toBe(index);
      expect(table.keyAt(index)).toBe(key);
    }
    expect([...table]).toEqual([...reference.keys()]);
    for (let i = 0; i < 5_000; i++) {
      const absent = `absent-${i}`;
      expect(table.has(absent)).toBe(reference.has(absent));
    }
  });

  it('adds nothing when only asked: a lookup writes its bytes past the keys, and the next key overwrites them', () => {
    const table = new StringTable();
    table.add('P0001');
    expect(table.indexOf('Zoë-long-absent-key-東京')).toBe(-1);
    expect(table.indexOf('P0001')).toBe(0);
    expect(table.size).toBe(1);
    // Shorter than the lookup's bytes, so that any left over would show in the key read back.
    expect(table.add('é')).toBe(1);
    expect(table.add('P2')).toBe(2);
    expect([...table]).toEqual(['P0001', 'é', 'P2']);
    expect(table.indexOf('é')).toBe(1);
    expect(table.indexOf('e')).toBe(-1);
  });

  it('hashes a key as hashOf does, beyond ASCII too (the table hashes while it copies)', () => {
    const keys = ['P0001', 'renee.alsayed.1@example.com', 'Zoë', '東京-01', 'P😀2', ''];
    const table = new StringTable();
    for (const key of keys) table.add(key);
    const { hashes } = table.toParts().parts;
    for (const [k, key] of keys.entries()) expect(hashes[k], key).toBe(hashOf(key));
    // hashOfBytes is the same FNV-1a over bytes: equal to hashOf for ASCII, part of a buffer too.
    const bytes = Buffer.from(',renee.alsayed.1@example.com,');
    expect(hashOfBytes(bytes, 1, bytes.length - 1)).toBe(hashOf('renee.alsayed.1@example.com'));
    expect(hashOfBytes(bytes, 1, bytes.length - 1)).not.toBe(hashOfBytes(bytes, 0, bytes.length - 1));
  });

  it('keeps 100,000 DIDs and finds each of them (the size of a large study)', () => {
    const table = new StringTable();
    for (let i = 0; i < 100_000; i++) table.add(`P${String(i).padStart(6, '0')}`);
    let missing = 0;
    for (let i = 0; i < 100_000; i++) if (!table.has(`P${String(i).padStart(6, '0')}`)) missing++;
    expect(missing).toBe(0);
    expect(table.has('P100000')).toBe(false);
    expect(table.has('')).toBe(false);
    table.add('');
    expect(table.has('')).toBe(true);
  });

  it('looks up another table’s keys by their bytes, as indexOf would by the string, beyond ASCII too', () => {
    const next = random(11);
    const alphabet = ['P', '0', '1', 'é', '東', '😀', '-'];
    const key = (): string =>
      Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const mine = new StringTable();
    const theirs = new StringTable();
    for (let i = 0; i < 3_000; i++) mine.add(key());
    for (let i = 0; i < 3_000; i++) theirs.add(key());
    let found = 0;
    for (let k = 0; k < theirs.size; k++) {
      const expected = mine.indexOf(theirs.keyAt(k));
      expect(mine.indexOfKeyOf(theirs, k)).toBe(expected);
      if (expected !== -1) found++;
    }
    // Both outcomes occur, so neither answer can be the only one given.
    expect(found).toBeGreaterThan(100);
    expect(found).toBeLessThan(theirs.size);
  });

  it('comes back whole from its parts (what a worker thread sends)', () => {
    const table = new StringTable();
    const keys = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? `Pé${i}` : `P${i}`));
    for (const key of keys) table.add(key);
    const { parts, transfer } = table.toParts();
    expect(transfer).toHaveLength(4);
    const copy = StringTable.fromParts(structuredClone(parts, { transfer }));
    expect([...copy]).toEqual(keys);
    for (const [i, key] of keys.entries()) expect(copy.indexOf(key)).toBe(i);
    expect(copy.has('P5000')).toBe(false);
    // It can still grow.
    expect(copy.add('P5000')).toBe(5_000);
    expect(copy.indexOf('P4999')).toBe(4_999);
  });
});
