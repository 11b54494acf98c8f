/**
 * From the export's responses to roster rows: QUALTRICS_FIELD_MAP says which Qualtrics field
 * (embedded data or a QID) fills which roster column; only finished, normal responses count;
 * when a DID answered twice, the latest response wins.
 */
import { ConfigError } from '../errors.js';

export interface FieldMapping {
  column: string;
  field: string;
}

export interface MappedResponse {
  responseId: string;
  recordedAt: string;
  /** Roster column → value (trimmed text). */
  values: Record<string, string>;
}

export interface MappingResult {
  mapped: MappedResponse[];
  ignored: { unfinished: number; notNormal: number; supersededDuplicates: number };
}

export function parseFieldMap(text: string): FieldMapping[] {
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const mappings: FieldMapping[] = [];
  const problems: string[] = [];
  for (const pair of pairs) {
    const [column, field, extra] = pair.split('=').map((s) => s.trim());
    if (!column || !field || extra !== undefined) problems.push(`"${pair}" is not column=field`);
    else mappings.push({ column: column.toLowerCase(), field });
  }
  for (const required of ['did', 'email'])
    if (!mappings.some((m) => m.column === required)) problems.push(`no mapping for the "${required}" column`);
  const columns = mappings.map((m) => m.column);
  for (const c of new Set(columns.filter((c, i) => columns.indexOf(c) !== i)))
    problems.push(`the column "${c}" is mapped twice`);
  if (problems.length > 0) {
    throw new ConfigError([
      {
        variable: 'QUALTRICS_FIELD_MAP',
        message: `${problems.join('; ')}. Write it as roster_column=QualtricsField pairs, e.g. did=DID,email=Email,first_name=FirstName.`,
      },
    ]);
  }
  return mappings;
}

interface ExportResponse {
  responseId?: unknown;
  values?: Record<string, unknown>;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(text).join(', ');
  return String(value).trim();
}

/** Parses the export's JSON; a file that is not the expected shape is an error naming the problem. */
export function parseExport(bytes: Uint8Array, entryName: string): ExportResponse[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch (error) {
    throw new Error(
      `The export file ${JSON.stringify(entryName)} is not JSON (${(error as Error).message}); the export format must be "json".`,
    );
  }
  const responses = (doc as { responses?: unknown }).responses;
  if (!Array.isArray(responses))
    throw new Error(
      `The export file ${JSON.stringify(entryName)} has no "responses" list; the export format must be "json".`,
    );
  return responses as ExportResponse[];
}

export function mapResponses(responses: readonly ExportResponse[], mappings: readonly FieldMapping[]): MappingResult {
  const ignored = { unfinished: 0, notNormal: 0, supersededDuplicates: 0 };
  const byDid = new Map<string, MappedResponse>();
  for (const response of responses) {
    const values = response.values ?? {};
    // status 0 is a normal response; 1 is a preview, 2 a test, 8 spam, 16 imported, etc.
    if (Number(values.status) !== 0) {
      ignored.notNormal++;
      continue;
    }
    if (Number(values.finished) !== 1) {
      ignored.unfinished++;
      continue;
    }
    const mapped: MappedResponse = {
      responseId: text(response.responseId),
      recordedAt: text(values.recordedDate ?? values.endDate),
      values: Object.fromEntries(mappings.map((m) => [m.column, text(values[m.field])])),
    };
    // A response without a DID is kept (under its response ID) so the merge reports it as rejected.
    const did = mapped.values.did || `response:${mapped.responseId}`;
    const earlier = byDid.get(did);
    if (earlier !== undefined) {
      ignored.supersededDuplicates++;
      if (earlier.recordedAt > mapped.recordedAt) continue;
    }
    byDid.set(did, mapped);
  }
  return { mapped: [...byDid.values()], ignored };
}
