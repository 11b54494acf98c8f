/**
 * Validation of one report date: roster rules + compliance cross-checks + template checks.
 * Returns data (findings and a classification of every roster row); throws only when the job
 * cannot run at all (missing files, broken query), as UsageError.
 */

import { builtInDayDids, builtInDayImplausible } from '../compliance/day-dids.js';
import {
  type ComplianceDb,
  type DayData,
  explainComplianceError,
  latestDay,
  loadQuery,
  openComplianceDb,
  queryDay,
} from '../compliance/db.js';
import type { Implausible } from '../compliance/plausibility.js';
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { checkTemplates, loadTemplates, renderTemplates, type Templates } from '../mail/templates.js';
import { derivedFieldsFor } from '../mail/view-model.js';
import { type Roster, type RosterRow, readRosterFile } from '../roster/read.js';
import { checkRosterRows } from '../roster/rules.js';
import type { SuppressionIndex } from '../storage/suppressions.js';
import { longDate } from '../util/dates.js';
import { dataBlockedFinding } from './data-findings.js';
import { suggestCorrections } from './near-match.js';
import { suppressionFindings } from './suppressed.js';

export type Classification =
  | { kind: 'eligible'; row: RosterRow }
  | { kind: 'skipped'; row: RosterRow; reason: string }
  | { kind: 'blocked'; row: RosterRow; codes: string[] };

export interface DayValidation {
  reportDate: string;
  roster: Roster;
  day: DayData;
  templates: Templates;
  query: { sql: string; source: string };
  findings: Finding[];
  /** One entry per roster row with a DID, in roster order. */
  participants: Classification[];
  /** A run-level error blocks every message. */
  runBlocked: boolean;
  /** Fields a template may use. */
  availableFields: Set<string>;
}

/** Names every template can use besides the query's columns and the roster's. */
export const BUILT_IN_FIELDS = ['report_date', 'report_date_long'] as const;

const MAX_NEAR_MATCH_CANDIDATES = 5_000;

/** `suppressed`: the state DB's suppressions (bounced addresses, opt-outs), when it is at hand. */
export function validateDay(config: Config, reportDate: string, suppressed?: SuppressionIndex): DayValidation {
  const roster = readRosterFile(config.PARTICIPANTS_CSV_PATH);
  const query = loadQuery(config.COMPLIANCE_QUERY_PATH);
  const templates = loadTemplates(config.TEMPLATE_DIR);
  const db = openComplianceDb(config.COMPLIANCE_DB_PATH);
  let day: DayData;
  let newest: string | undefined;
  let implausible = new Map<string, Implausible>();
  try {
    const builtIn = query.source === 'built-in';
    const suspects: string[] = [];
    const listing = builtIn ? (d: ComplianceDb, date: string) => builtInDayDids(d, date, suspects) : undefined;
    day = queryDay(db, query.sql, query.source, reportDate, listing);
    newest = day.dids.size === 0 ? latestDay(db) : undefined;
    if (builtIn) implausible = builtInDayImplausible(db, reportDate, suspects);
  } catch (error) {
    throw explainComplianceError(error, config.COMPLIANCE_DB_PATH);
  } finally {
    db.close();
  }

  const findings: Finding[] = [...roster.findings, ...checkRosterRows(roster.rows)];
  if (day.dids.size === 0) {
    findings.push({
      severity: 'error',
      scope: 'run',
      code: 'compliance_not_updated',
      message: `The compliance database has no rows for ${reportDate}${newest ? `; the newest day in it is ${newest}` : ''}.`,
      fix: 'Check that the compliance pipeline ran for that day (or pass --date for a day it covers). For the local fixture, run `npx mail-updater create-fixture` again.',
    });
  }

  // A roster that cannot be read stops here: checking templates against its (missing) columns or
  // the database against its (missing) rows would only bury the one real error under hundreds.
  const rosterUnreadable = roster.findings.some((f) => f.severity === 'error' && f.scope === 'run');
  const availableFields = new Set<string>([
    ...day.columns,
    ...roster.columns.filter((c) => c !== ''),
    ...BUILT_IN_FIELDS,
    // Display strings computed per participant from the query's columns (src/mail/view-model.ts).
    ...derivedFieldsFor(day.columns),
  ]);
  const templateProblems = rosterUnreadable ? [] : checkTemplates(templates, availableFields);
  for (const problem of templateProblems) {
    findings.push({
      severity: 'error',
      scope: 'run',
      code: problem.code ?? 'template_field_unknown',
      column: problem.part,
      message: problem.message,
      fix:
        problem.code === undefined
          ? 'Use a field the query or roster provides (see `validate-participants --json` → fields), or add it to the query (COMPLIANCE_QUERY_PATH).'
          : 'Correct the tag at the named line and column in TEMPLATE_DIR.',
    });
  }
  if (!rosterUnreadable) {
    // A syntax error is already named precisely; the render check would only repeat it, garbled.
    if (!templateProblems.some((p) => p.code !== undefined))
      findings.push(...renderCheck(templates, availableFields, reportDate));
    findings.push(...crossCheck(roster.rows, day, reportDate));
    findings.push(...implausibleFindings(roster.rows, implausible));
    if (suppressed !== undefined) findings.push(...suppressionFindings(roster.rows, suppressed));
  }

  const runBlocked = findings.some((f) => f.severity === 'error' && f.scope === 'run');
  const participants = classify(roster.rows, findings, day);
  return { reportDate, roster, day, templates, query, findings, participants, runBlocked, availableFields };
}

/** Every template is rendered once with placeholder values, so a broken one fails here, not mid-run. */
function renderCheck(templates: Templates, fields: Set<string>, reportDate: string): Finding[] {
  const view = Object.fromEntries([...fields].map((f) => [f, `sample ${f}`]));
  try {
    renderTemplates(templates, { ...view, report_date: reportDate, report_date_long: longDate(reportDate) });
    return [];
  } catch (error) {
    return [
      {
        severity: 'error',
        scope: 'run',
        code: 'template_render_failed',
        message: `The templates do not render: ${(error as Error).message}`,
        fix: 'Fix the template syntax in TEMPLATE_DIR.',
      },
    ];
  }
}

function crossCheck(rows: readonly RosterRow[], day: DayData, reportDate: string): Finding[] {
  if (day.dids.size === 0) return [];
  const findings: Finding[] = [];
  const rosterDids = new Set(rows.map((r) => r.did));
  const orphans: string[] = [];
  for (const row of rows) {
    if (row.did === '' || row.status !== 'active' || day.dids.has(row.did)) continue;
    orphans.push(row.did);
    findings.push({
      severity: 'warning',
      scope: 'row',
      code: 'no_data_for_day',
      row: row.row,
      did: row.did,
      message: `No compliance data for ${reportDate}; this participant is skipped today (never told "0 of N").`,
      fix: 'Nothing to do if the device did not sync; if it persists, check the DID against the compliance database.',
    });
  }
  const unknown = [...day.dids].filter((did) => !rosterDids.has(did));
  const suggestions =
    orphans.length > MAX_NEAR_MATCH_CANDIDATES
      ? new Map<string, string>()
      : suggestCorrections({ unknownDids: unknown, rosterDids: orphans, didsWithData: day.dids });
  for (const did of unknown) {
    const named = suggestions.get(did);
    findings.push({
      severity: 'warning',
      scope: 'row',
      code: 'did_not_in_roster',
      did,
      message: `The compliance database has data for ${did}, who is not in the roster.${named ? ` Did you mean ${named}? (no data today under that roster DID)` : ''}`,
      fix: named
        ? `If ${named} in the roster is a typo, correct it to ${did}.`
        : 'Add the participant to the roster if they are enrolled.',
    });
  }
  return findings;
}

/** The day's impossible values, for the roster's active participants (the others get no e-mail anyway). */
function implausibleFindings(rows: readonly RosterRow[], implausible: Map<string, Implausible>): Finding[] {
  if (implausible.size === 0) return [];
  return rows
    .filter((row) => row.status === 'active' && implausible.has(row.did))
    .map((row) => {
      const problem = implausible.get(row.did)!;
      return dataBlockedFinding(row, 'impossible_data', problem.field, problem.message);
    });
}

function classify(rows: readonly RosterRow[], findings: readonly Finding[], day: DayData): Classification[] {
  const errorCodesByRow = new Map<number, string[]>();
  for (const f of findings) {
    if (f.severity !== 'error' || f.scope !== 'row' || f.row === undefined) continue;
    const codes = errorCodesByRow.get(f.row) ?? [];
    codes.push(f.code);
    errorCodesByRow.set(f.row, codes);
  }
  const result: Classification[] = [];
  for (const row of rows) {
    const codes = errorCodesByRow.get(row.row);
    if (codes !== undefined) {
      result.push({ kind: 'blocked', row, codes });
      continue;
    }
    if (row.status !== 'active') {
      result.push({ kind: 'skipped', row, reason: `status_${row.status}` });
      continue;
    }
    if (day.dids.has(row.did)) result.push({ kind: 'eligible', row });
    else result.push({ kind: 'skipped', row, reason: 'no_data_for_day' });
  }
  return result;
}
