import { describe, expect, it } from 'vitest';
import { readPlainCsv } from '../../../src/roster/csv-records.js';
import { bytesInMemory, cleanValues, RowStore } from '../../../src/roster/row-store.js';

const layout = { did: 0, email: 1, status: 2, firstName: 3, lastName: -1, timezone: 4 };

describe('RowStore', () => {
  it('gives back every row as it was added, line numbers included, across every growth', () => {
    const store = new RowStore(layout, undefined, 16); // a small first buffer: it has to grow many times
    const expected: { line: number; values: string[]; shapeOk: boolean }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const values = [`P${i}`, `p${i}@example.org`, i % 7 === 0 ? 'Paused' : '', `Zoë ${i}`, 'Europe/Berlin'];
      if (i % 1000 === 3) values.pop(); // a short row
      const row = { line: i * 2 + 2, values, shapeOk: values.length === 5 };
      store.push(row.line, row.values, row.shapeOk);
      expected.push(row);
    }
    expect(store.length).toBe(expected.length);
    let i = 0;
    for (const row of store) {
      const want = expected[i]!;
      expect(row.row).toBe(want.line);
      expect(store.lineAt(i)).toBe(want.line);
      expect(row.values).toEqual(want.values);
      expect(row.did).toBe(want.values[0]);
      expect(row.email).toBe(want.values[1]);
      expect(row.status).toBe(i % 7 === 0 ? 'paused' : 'active');
      expect(row.firstName).toBe(want.values[3]);
      expect(row.lastName).toBe('');
      expect(row.timezone).toBe(want.values[4] ?? '');
      expect(row.shapeOk).toBe(want.shapeOk);
      i++;
    }
    expect(store.at(expected.length)).toBeUndefined();
    expect(store.at(-1)).toBeUndefined();
  });

  it("keeps a plain record as its place in the file's bytes and reads it again, quotes and spaces included", () => {
    const file = Buffer.from('did,email\r\n P1 ,"a@x.org"\r\n"P,2","b ""q""@x.org"\nP3,c@x.org');
    const store = new RowStore({ ...layout, status: -1, firstName: -1, timezone: -1 }, bytesInMemory(file));
    let header = true;
    expect(
      readPlainCsv(file, (record, line, span) => {
        if (header) header = false;
        else expect(store.push(line, cleanValues(record), true, span).values).toEqual(record);
      }),
    ).toBe(true);
    expect([...store].map((row) => [row.row, row.did, row.email])).toEqual([
      [2, 'P1', 'a@x.org'],
      [3, 'P,2', 'b "q"@x.org'],
      [4, 'P3', 'c@x.org'],
    ]);
  });

  it('refuses a record that no longer reads as it did (bytes changed under it), and only that one', () => {
    const file = Buffer.from('did,email\nP1,a@x.org\nP2,b@x.org\n');
    // A file's bytes (read.ts) can change under the store; bytes in memory cannot, and have no `changed`.
    const fileLike = { ...bytesInMemory(file), changed: () => new Error('The roster changed.') };
    const store = new RowStore({ ...layout, status: -1, firstName: -1, timezone: -1 }, fileLike);
    let header = true;
    readPlainCsv(file, (record, line, span) => {
      if (header) header = false;
      else store.push(line, cleanValues(record), true, span);
    });
    file.write('z', file.indexOf('a@x.org')); // same size, same place
    expect(() => store.at(0)).toThrow(/changed/);
    expect(store.at(1)!.email).toBe('b@x.org');
  });

  it('checks a row kept plain (by its place only) by its bytes too, a moved space included', () => {
    const file = Buffer.from('did,email\nP1,a@x.org\nP2," b@x.org"\n');
    const fileLike = { ...bytesInMemory(file), changed: () => new Error('The roster changed.') };
    const store = new RowStore({ ...layout, status: -1, firstName: -1, timezone: -1 }, fileLike);
    store.pushPlain(2, file, file.indexOf('P1'), file.indexOf('\nP2'));
    let header = true;
    readPlainCsv(file, (record, line, span) => {
      if (header) header = false;
      else if (line === 3) store.push(line, cleanValues(record), true, span);
    });
    expect([...store].map((row) => [row.row, row.did, row.email])).toEqual([
      [2, 'P1', 'a@x.org'],
      [3, 'P2', 'b@x.org'],
    ]);
    file.write('b@x.org ', file.indexOf(' b@x.org')); // the same values once trimmed, but not the bytes read
    file.write('A', file.indexOf('a@x.org'));
    expect(() => store.at(0)).toThrow(/changed/);
    expect(() => store.at(1)).toThrow(/changed/);
  });
});
