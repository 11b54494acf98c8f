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

/** "row 7, DID P0007, column email: ..." — the one-line form used by the CLI and Slack. */
export function describeFinding(f: Finding): string {
  const where = [
    f.row !== undefined ? `row ${f.row}` : undefined,
    f.did !== undefined ? `DID ${f.did}` : undefined,
    f.column !== undefined ? `column ${f.column}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  return `${f.severity.toUpperCase()} ${f.code}${where === '' ? '' : ` (${where})`}: ${f.message} Fix: ${f.fix}`;
}
