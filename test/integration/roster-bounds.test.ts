import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const MB = 1024 * 1024;

describe('an oversized roster cell blocks its row, not the dry run', () => {
  it('a 20 MB and a 5 MB first_name: the dry run completes, those rows are blocked, the rest planned', async () => {
    ws = makeWorkspace({ participants: 12 });
    const rows = parse(readFileSync(ws.fixture.rosterPath), { columns: true, bom: true }) as Record<string, string>[];
    const active = rows.filter((r) => r.status === 'active' || r.status === '');
    const [huge, big] = [active[0]!, active[1]!];
    huge.first_name = 'y'.repeat(20 * MB);
    big.first_name = 'z'.repeat(5 * MB);
    ws.writeRoster(rows, Object.keys(rows[0]!));
    const result = await cli(['send-daily', '--dry-run', '--json', '--date', ws.reportDate], ws.env);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('yyyyyyyyyy');
    expect(result.stdout).not.toContain('zzzzzzzzzz');
    const json = JSON.parse(result.stdout);
    expect(json.counts.to_send).toBeGreaterThan(0);
    expect(json.blocked_by_code).toEqual({ cell_too_large: 2 });
    const validation = await cli(['validate-participants', '--json', '--date', ws.reportDate], ws.env);
    expect(validation.stdout).not.toContain('yyyyyyyyyy');
    const findings = (
      JSON.parse(validation.stdout).errors as {
        code: string;
        did?: string;
        column?: string;
        row?: number;
        message: string;
      }[]
    )
      .filter((f) => f.code === 'cell_too_large')
      .map((f) => [f.did, f.column, f.row, f.message]);
    expect(findings).toEqual([
      [huge.did, 'first_name', rows.indexOf(huge) + 2, expect.stringContaining('20,971,520 characters')],
      [big.did, 'first_name', rows.indexOf(big) + 2, expect.stringContaining('5,242,880 characters')],
    ]);
  }, 60_000);
});
