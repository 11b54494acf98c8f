import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { builtInTemplateDir } from '../../src/mail/templates.js';
import { addDays } from '../../src/util/dates.js';
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
  it('blocks only those participants with impossible_data, naming DID, field and the numbers, never roster values', async () => {
    ws = makeWorkspace({ participants: 12, days: 14 });
    const rows = parse(readFileSync(ws.fixture.rosterPath), { columns: true }) as Record<string, string>[];
    const active = rows.filter((r) => r.status === 'active');
    const today = active[0];
    const db = new Database(ws.env.COMPLIANCE_DB_PATH!);
    // The day's own row: validation finds it. A day ten days back: only the study-to-date totals
    // show it, which the dry run finds when it renders.
    db.prepare('UPDATE daily_compliance SET surveys_completed = 7, surveys_expected = 4 WHERE did = ? AND day = ?').run(
      today!.did,
      ws.reportDate,
    );
    const hasRow = db.prepare('SELECT 1 FROM daily_compliance WHERE did = ? AND day = ?');
    const earlier = active
      .slice(1)
      .find((r) => hasRow.get(r.did, ws.reportDate) && hasRow.get(r.did, addDays(ws.reportDate, -10)));
    db.prepare(
      'UPDATE daily_compliance SET surveys_completed = 500, surveys_expected = 2 WHERE did = ? AND day = ?',
    ).run(earlier!.did, addDays(ws.reportDate, -10));
    db.close();
    const todayMessage = `surveys_completed (7) is more than surveys_expected (4); ${today!.did} is not e-mailed today, the others are.`;

    const validation = await cli(['validate-participants', '--json', '--date', ws.reportDate], ws.env);
    expect(validation.code).toBe(1);
    const validated = JSON.parse(validation.stdout);
    expect(validated.errors).toContainEqual(
      expect.objectContaining({
        code: 'impossible_data',
        did: today!.did,
        column: 'surveys_completed',
        message: todayMessage,
      }),
    );
    expect(validated.counts.blocked).toBe(1);
    expect(validation.stdout).not.toContain(today!.email!);

    const result = await cli(['send-daily', '--dry-run', '--json', '--date', ws.reportDate], ws.env);
    const json = JSON.parse(result.stdout);
    expect(json.blocked_by_code).toEqual({ impossible_data: 2 });
    expect(json.counts.to_send).toBeGreaterThan(0);
    // Both are listed with the participants who get no message, wherever they were found.
    expect(json.render_failures).toHaveLength(2);
    expect(json.render_failures).toEqual(
      expect.arrayContaining([
        { did: today!.did, row: expect.any(Number), message: todayMessage },
        {
          did: earlier!.did,
          row: expect.any(Number),
          message: expect.stringMatching(/^std_surveys_completed \(\d+\) is more than std_surveys_expected \(\d+\); /),
        },
      ]),
    );
    expect(JSON.stringify(json)).toContain(todayMessage);
    expect(result.stdout).not.toContain(today!.email!);
    const previews = readdirSync(join(ws.env.OUTBOX_DIR!, 'dry-run', ws.reportDate));
    expect(previews).not.toContain(`${today!.did}.eml`);
    expect(previews).not.toContain(`${earlier!.did}.eml`);
  }, 60_000);
});
