/**
 * A validation finding: data, never an exception. `scope` says what an error blocks: the whole
 * run (the roster cannot be read, the data is stale, the template is broken) or only the
 * participant on that row.
 */
export type Severity = 'error' | 'warning';
export type Scope = 'run' | 'row';

export interface Finding {
  severity: Severity;
  scope: Scope;
  code: string;
  message: string;
  fix: string;
  row?: number;
  did?: string;
  column?: string;
  /**
   * The offending cell as written (e.g. the text in the `timezone` column). Kept apart from
   * `message`, which never quotes roster values: a misaligned row puts names and addresses into
   * any column. Only the CLI shows it; Slack, logs and the stored run summary never do.
   */
  value?: string;
}

/**
 * A finding about one participant (their roster row, named by DID): what blocks or warns about
 * that participant only. `column` when one cell is at fault.
 */
export function participantFinding(
  row: { row: number; did: string },
  severity: Severity,
  code: string,
  message: string,
  fix: string,
  column?: string,
): Finding {
  return {
    severity,
    scope: 'row',
    code,
    row: row.row,
    did: row.did,
    ...(column === undefined ? {} : { column }),
    message,
    fix,
  };
}

/** The finding without the roster value: what may leave the operator's terminal. */
export function withoutValue(f: Finding): Finding {
  if (f.value === undefined) return f;
  const { value: _value, ...rest } = f;
  return rest;
}

export interface FindingCounts {
  errors: number;
  warnings: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  let errors = 0;
  for (const f of findings) if (f.severity === 'error') errors++;
  return { errors, warnings: findings.length - errors };
}

/**
 * "row 7, DID P0007, column email: ..." — the one-line form used by the CLI and Slack. The
 * roster value is shown only when asked for (the CLI); Slack gets row, column, DID and code.
 */
export function describeFinding(f: Finding, options: { values?: boolean } = {}): string {
  const where = [
    f.row !== undefined ? `row ${f.row}` : undefined,
    f.did !== undefined ? `DID ${f.did}` : undefined,
    f.column !== undefined ? `column ${f.column}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const value = options.values === true && f.value !== undefined ? ` (value: ${JSON.stringify(f.value)})` : '';
  return `${f.severity.toUpperCase()} ${f.code}${where === '' ? '' : ` (${where})`}: ${f.message}${value} Fix: ${f.fix}`;
}
