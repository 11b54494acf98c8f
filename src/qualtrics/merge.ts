/**
 * Merges mapped Qualtrics responses into the roster: new DIDs are appended (status active);
 * existing rows are never changed — a differing value is a reported conflict; rows that fail the
 * roster rules are rejected with the reason. Reports carry DIDs and reasons, never addresses.
 */
import { ConfigError } from '../errors.js';
import type { Roster, RosterRow } from '../roster/read.js';
import { checkRosterRows } from '../roster/rules.js';
import type { FieldMapping, MappedResponse } from './mapping.js';
import { untrustedValueReasons } from './untrusted.js';

export interface SyncConflict {
  did: string;
  columns: string[];
  message: string;
}

export interface SyncRejection {
  /** The DID, or "response:<id>" when the response had none. */
  did: string;
  responseId: string;
  reasons: string[];
}

export interface MergeResult {
  /** Values of the rows to append, in the roster's column order. */
  newRows: string[][];
  added: string[];
  unchanged: number;
  conflicts: SyncConflict[];
  rejected: SyncRejection[];
}

function candidateRow(roster: Roster, response: MappedResponse, rowNumber: number): RosterRow {
  const values = roster.columns.map((column) =>
    column === 'status' ? response.values.status || 'active' : (response.values[column] ?? ''),
  );
  const get = (column: string): string => values[roster.columns.indexOf(column)] ?? '';
  return {
    row: rowNumber,
    did: response.values.did ?? '',
    email: get('email'),
    firstName: get('first_name'),
    lastName: get('last_name'),
    timezone: get('timezone'),
    status: get('status').toLowerCase() || 'active',
    values,
    shapeOk: true,
  };
}

export function mergeResponses(
  roster: Roster,
  responses: readonly MappedResponse[],
  mappings: readonly FieldMapping[],
): MergeResult {
  const missing = mappings.filter((m) => !roster.columns.includes(m.column)).map((m) => m.column);
  if (missing.length > 0) {
    throw new ConfigError([
      {
        variable: 'QUALTRICS_FIELD_MAP',
        message: `maps ${missing.map((c) => `"${c}"`).join(', ')}, which the roster has no column for (roster columns: ${roster.columns.join(', ')}). Add the column to the roster's header or remove it from the map.`,
      },
    ]);
  }
  const existing = new Map<string, RosterRow>();
  for (const row of roster.rows) existing.set(row.did, row);
  const result: MergeResult = { newRows: [], added: [], unchanged: 0, conflicts: [], rejected: [] };
  const candidates: { row: RosterRow; response: MappedResponse }[] = [];
  let nextRow = (roster.rows.at(roster.rows.length - 1)?.row ?? 1) + 1;

  for (const response of responses) {
    const did = response.values.did ?? '';
    const current = did === '' ? undefined : existing.get(did);
    if (current === undefined) {
      candidates.push({ row: candidateRow(roster, response, nextRow++), response });
      continue;
    }
    const differing = mappings
      .filter((m) => m.column !== 'did')
      .filter((m) => {
        const theirs = response.values[m.column] ?? '';
        const ours = current.values[roster.columns.indexOf(m.column)] ?? '';
        return theirs !== '' && (m.column === 'email' ? theirs.toLowerCase() !== ours.toLowerCase() : theirs !== ours);
      })
      .map((m) => m.column);
    if (differing.length === 0) result.unchanged++;
    else {
      result.conflicts.push({
        did,
        columns: differing,
        message: `${differing.includes('email') ? 'The e-mail address' : 'The value'}${differing.length > 1 || !differing.includes('email') ? ` of ${differing.join(', ')}` : ''} in Qualtrics differs from the roster (row ${current.row}); the roster was left as it is. Check with the participant and correct whichever is wrong by hand.`,
      });
    }
  }

  // The same rules as validate-participants, over the roster plus the candidates, so a new row
  // that repeats an existing participant's address is caught too. Only errors on a candidate's
  // own row count against it; warnings are accepted.
  // Values a spreadsheet would run as a formula, or too long for the roster, are refused first
  // (and kept out of the rules, so that they cannot make another candidate look like a duplicate).
  const untrusted = new Map(candidates.map((c) => [c, untrustedValueReasons(c.response.values)]));
  const checked = candidates.filter((c) => untrusted.get(c)!.length === 0);
  const findings = checkRosterRows([...roster.rows, ...checked.map((c) => c.row)]);
  for (const candidate of candidates) {
    const { row, response } = candidate;
    const refused = untrusted.get(candidate)!;
    const reasons =
      refused.length > 0
        ? refused.map((r) => r.reason)
        : findings.filter((f) => f.row === row.row && f.severity === 'error').map((f) => `${f.code}: ${f.message}`);
    if (reasons.length > 0) {
      // A DID that is itself refused is not repeated: the response ID identifies the row.
      const didRefused = refused.some((r) => r.column === 'did');
      result.rejected.push({
        did: (!didRefused && response.values.did) || `response:${response.responseId}`,
        responseId: response.responseId,
        reasons,
      });
      continue;
    }
    result.newRows.push(row.values);
    result.added.push(row.did);
  }
  return result;
}
