import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { mapResponses, parseFieldMap } from '../../../src/qualtrics/mapping.js';
import { mergeResponses } from '../../../src/qualtrics/merge.js';
import { readSingleEntry } from '../../../src/qualtrics/zip.js';
import { parseRoster } from '../../../src/roster/read.js';

const roster = parseRoster(
  Buffer.from('did,email,first_name,status,site\nP001,ana@example.org,Ana,active,A\nP002,bo@example.org,Bo,paused,B\n'),
);
const response = (id: string, values: Record<string, unknown>) => ({
  responseId: id,
  values: { status: 0, finished: 1, recordedDate: '2026-11-20T10:00:00Z', ...values },
});

describe('QUALTRICS_FIELD_MAP', () => {
  it('parses column=field pairs, QIDs included', () => {
    expect(parseFieldMap('did=DID, email=QID3_TEXT,first_name=FirstName')).toEqual([
      { column: 'did', field: 'DID' },
      { column: 'email', field: 'QID3_TEXT' },
      { column: 'first_name', field: 'FirstName' },
    ]);
  });

  it('names every problem and the variable', () => {
    try {
      parseFieldMap('did=DID,first_name,site=A=B,did=X');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).problems[0]!.message;
      expect((error as ConfigError).problems[0]!.variable).toBe('QUALTRICS_FIELD_MAP');
      expect(message).toContain('"first_name" is not column=field');
      expect(message).toContain('no mapping for the "email" column');
      expect(message).toContain('"did" is mapped twice');
    }
  });
});

describe('mapping and merging responses', () => {
  const map = parseFieldMap('did=DID,email=QID3_TEXT,first_name=FirstName');

  it('reads QID fields, keeps a response without a DID so that it is rejected with a reason', () => {
    const { mapped } = mapResponses(
      [
        response('R_1', { DID: 'P010', QID3_TEXT: ' new@example.org ', FirstName: 'Nia' }),
        response('R_2', { QID3_TEXT: 'x@example.org' }),
      ],
      map,
    );
    const merged = mergeResponses(roster, mapped, map);
    expect(merged.added).toEqual(['P010']);
    expect(merged.newRows).toEqual([['P010', 'new@example.org', 'Nia', 'active', '']]);
    expect(merged.rejected).toEqual([
      expect.objectContaining({ did: 'response:R_2', reasons: [expect.stringContaining('did_empty')] }),
    ]);
  });

  it("rejects a new participant who reuses an existing participant's address", () => {
    const { mapped } = mapResponses(
      [response('R_3', { DID: 'P011', QID3_TEXT: 'ANA@example.org', FirstName: 'Copy' })],
      map,
    );
    const merged = mergeResponses(roster, mapped, map);
    expect(merged.added).toEqual([]);
    expect(merged.rejected[0]!.reasons.join(' ')).toContain('email_duplicate');
  });

  it('a changed first name of an existing participant is a conflict too, never an overwrite', () => {
    const { mapped } = mapResponses(
      [response('R_4', { DID: 'P001', QID3_TEXT: 'ana@example.org', FirstName: 'Anna' })],
      map,
    );
    const merged = mergeResponses(roster, mapped, map);
    expect(merged.conflicts).toEqual([expect.objectContaining({ did: 'P001', columns: ['first_name'] })]);
    expect(merged.newRows).toEqual([]);
  });

  it('refuses a map naming a column the roster lacks', () => {
    expect(() => mergeResponses(roster, [], parseFieldMap('did=DID,email=E,phone=Phone'))).toThrow(
      /"phone", which the roster has no column for/,
    );
  });
});

describe('the export ZIP', () => {
  it('returns the one entry; its name is data, not a path', () => {
    const entry = readSingleEntry(zipSync({ '../../etc/passwd.json': strToU8('{"responses":[]}') }));
    expect(entry.name).toBe('../../etc/passwd.json');
    expect(new TextDecoder().decode(entry.bytes)).toBe('{"responses":[]}');
  });

  it('refuses an empty archive and junk', () => {
    expect(() => readSingleEntry(zipSync({}))).toThrow(/holds 0 files/);
    expect(() => readSingleEntry(strToU8('not a zip'))).toThrow(/not a readable ZIP/);
  });
});
