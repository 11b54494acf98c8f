import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { builtInTemplateDir } from '../../src/mail/templates.js';
import { cli, makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

/** The built-in query plus a "note" field: `chars` characters for one DID, "ok" for the rest. */
function queryWithNote(did: string, chars: number): string {
  const sql = readFileSync(join(import.meta.dirname, '../../src/compliance/daily-compliance.sql'), 'utf8');
  const note = `,\n       CASE WHEN t.did = '${did}' THEN replace(hex(zeroblob(${chars / 2})), '00', 'ab') ELSE 'ok' END AS note`;
  const patched = sql.replace('\nFROM today t\n', `${note}\nFROM today t\n`);
  if (patched === sql) throw new Error('the built-in query changed shape; update queryWithNote');
  return patched;
}

describe('one message that cannot be rendered', () => {
  it('blocks that participant with render_failed when the renderer dies on it; the others are planned', async () => {
    ws = makeWorkspace({ participants: 12 });
    const rows = parse(readFileSync(ws.fixture.rosterPath), { columns: true }) as Record<string, string>[];
    const victim = rows.find((r) => r.status === 'active')!.did!;
    const queryPath = join(ws.dir, 'query.sql');
    writeFileSync(queryPath, queryWithNote(victim, 24 * 1024 * 1024));
    const templates = join(ws.dir, 'templates');
    cpSync(builtInTemplateDir(), templates, { recursive: true });
    writeFileSync(join(templates, 'body.txt'), `${readFileSync(join(templates, 'body.txt'), 'utf8')}\n{{note}}\n`);
    writeFileSync(
      join(templates, 'body.html'),
      `${readFileSync(join(templates, 'body.html'), 'utf8')}\n<p>{{note}}</p>\n`,
    );
    const env = { ...ws.env, COMPLIANCE_QUERY_PATH: queryPath, TEMPLATE_DIR: templates };

    const result = await cli(['send-daily', '--dry-run', '--json', '--date', ws.reportDate], env);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.state).toBe('planned');
    expect(json.blocked_by_code).toEqual({ render_failed: 1 });
    expect(json.counts.to_send).toBeGreaterThan(0);
    expect(json.render_failures).toEqual([
      { did: victim, row: expect.any(Number), message: expect.stringContaining('the renderer ran out of memory') },
    ]);
    const dir = join(ws.env.OUTBOX_DIR!, 'dry-run', ws.reportDate);
    const files = readdirSync(dir);
    expect(files).toHaveLength(json.counts.to_send);
    expect(files).not.toContain(`${victim}.eml`);
    const log = readFileSync(join(ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8');
    expect(log).toContain(`"did":"${victim}","status":"skipped"`);
    expect(log).toContain('blocked: render_failed');
    const text = await cli(['send-daily', '--dry-run', '--date', ws.reportDate], env);
    expect(text.stdout).toMatch(
      new RegExp(`The message for ${victim} could not be rendered \\(the renderer ran out of memory\\)`),
    );
    expect(readdirSync(join(ws.env.OUTBOX_DIR!, 'dry-run')).filter((f) => f.includes('.planning-'))).toEqual([]);
  }, 60_000);
});

describe('impossible compliance data', () => {
  it('blocks only that participant with impossible_data, naming DID, field and the numbers, never roster values', async () => {
    ws = makeWorkspace({ participants: 12 });
    const rows = parse(readFileSync(ws.fixture.rosterPath), { columns: true }) as Record<string, string>[];
    const victim = rows.find((r) => r.status === 'active')!;
    const db = new Database(ws.env.COMPLIANCE_DB_PATH!);
    db.prepare('UPDATE daily_compliance SET surveys_completed = 7, surveys_expected = 4 WHERE did = ? AND day = ?').run(
      victim.did,
      ws.reportDate,
    );
    db.close();
    const result = await cli(['send-daily', '--dry-run', '--json', '--date', ws.reportDate], ws.env);
    const json = JSON.parse(result.stdout);
    expect(json.blocked_by_code).toEqual({ impossible_data: 1 });
    expect(json.counts.to_send).toBeGreaterThan(0);
    expect(json.render_failures).toEqual([
      {
        did: victim.did,
        row: expect.any(Number),
        message: `surveys_completed (7) is more than surveys_expected (4); ${victim.did} is not e-mailed today, the others are.`,
      },
    ]);
    expect(result.stdout).not.toContain(victim.email!);
    expect(readdirSync(join(ws.env.OUTBOX_DIR!, 'dry-run', ws.reportDate))).not.toContain(`${victim.did}.eml`);
  }, 60_000);
});
