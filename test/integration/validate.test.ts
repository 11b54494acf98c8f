import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { validateParticipants, validationText } from '../../commands/validate-participants.js';
import { execute } from '../../src/command.js';
import { testContext } from '../support/context.js';
import { cli, makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function validate(env: Record<string, string> = {}, date?: string) {
  const t = testContext(ws, env);
  try {
    const output = await execute(validateParticipants, t.ctx, { reportDate: date ?? ws.reportDate });
    return output as {
      exitCode: number;
      text: string;
      json: {
        ok: boolean;
        run_blocked: boolean;
        errors: { code: string; did?: string; message: string }[];
        warnings: { code: string; did?: string; message: string }[];
        counts: Record<string, number>;
        fields: string[];
      };
    };
  } finally {
    t.close();
  }
}

describe('validate-participants', () => {
  it('passes the generated fixture with only the planted warnings, and never writes the compliance DB', async () => {
    ws = makeWorkspace({ participants: 40 });
    const before = { hash: sha(ws.fixture.dbPath), mtime: statSync(ws.fixture.dbPath).mtimeMs };
    const out = await validate();
    expect(out.exitCode).toBe(0);
    expect(out.json.errors).toEqual([]);
    const { planted } = ws.fixture;
    expect(
      out.json.warnings
        .filter((w) => w.code === 'no_data_for_day')
        .map((w) => w.did)
        .sort(),
    ).toEqual([planted.noDataOnLastDay, planted.typoInRoster.roster].sort());
    const stranger = out.json.warnings.find((w) => w.code === 'did_not_in_roster');
    expect(stranger?.did).toBe(planted.typoInRoster.database);
    expect(stranger?.message).toContain(`Did you mean ${planted.typoInRoster.roster}?`);
    expect(out.json.fields).toEqual(
      expect.arrayContaining(['surveys_completed', 'std_percent', 'first_name', 'site', 'report_date_long']),
    );
    expect(sha(ws.fixture.dbPath)).toBe(before.hash);
    expect(statSync(ws.fixture.dbPath).mtimeMs).toBe(before.mtime);
  });

  it('blocks the run when the compliance data was not updated for the day, saying which day is newest', async () => {
    ws = makeWorkspace();
    const out = await validate({}, '2099-01-01');
    expect(out.exitCode).toBe(1);
    expect(out.json.run_blocked).toBe(true);
    expect(out.json.errors[0]?.code).toBe('compliance_not_updated');
    expect(out.json.errors[0]?.message).toContain(`the newest day in it is ${ws.reportDate}`);
  });

  it('blocks the run when a template names a field the query does not provide', async () => {
    ws = makeWorkspace();
    const dir = join(ws.dir, 'templates');
    mkdirSync(dir);
    for (const f of ['subject.txt', 'body.txt', 'body.html'])
      copyFileSync(join(import.meta.dirname, '../../src/mail/default-templates', f), join(dir, f));
    writeFileSync(join(dir, 'body.txt'), 'Hello {{first_name}}, your streak is {{streak_days}}.');
    const out = await validate({ TEMPLATE_DIR: dir });
    expect(out.exitCode).toBe(1);
    expect(out.json.errors).toMatchObject([
      { code: 'template_field_unknown', message: expect.stringContaining('{{streak_days}}') },
    ]);
  });

  it('accepts a custom query (trailing semicolon and comment included) and offers its columns as fields', async () => {
    ws = makeWorkspace({ participants: 10 });
    const queryPath = join(ws.dir, 'custom.sql');
    writeFileSync(
      queryPath,
      "SELECT did, surveys_completed, surveys_expected, 'x' AS streak_days FROM daily_compliance WHERE day = :day;\n-- the end\n",
    );
    const dir = join(ws.dir, 'templates');
    mkdirSync(dir);
    writeFileSync(join(dir, 'subject.txt'), '{{surveys_completed}} of {{surveys_expected}}');
    writeFileSync(join(dir, 'body.txt'), 'Streak: {{streak_days}}');
    writeFileSync(join(dir, 'body.html'), '<p>{{streak_days}}</p>');
    const out = await validate({ COMPLIANCE_QUERY_PATH: queryPath, TEMPLATE_DIR: dir });
    expect(out.json.errors).toEqual([]);
    expect(out.json.fields).toContain('streak_days');
    expect(out.json.counts.eligible).toBeGreaterThan(0);
  });

  it('refuses a custom query that is not a SELECT, naming the file (not "a bug")', async () => {
    ws = makeWorkspace({ participants: 5 });
    const queryPath = join(ws.dir, 'not-a-select.sql');
    writeFileSync(queryPath, 'DELETE FROM daily_compliance');
    await expect(validate({ COMPLIANCE_QUERY_PATH: queryPath })).rejects.toThrow(
      /compliance query \(.*not-a-select.sql\) returns no rows \(it is not a SELECT\)/,
    );
  });

  it('reports row problems with row, DID and column, and blocks only those participants', async () => {
    ws = makeWorkspace({ participants: 10 });
    ws.writeRoster(
      [
        { did: 'P0001', email: 'ana@example.org', first_name: 'Ana' },
        { did: 'P0002', email: 'not-an-address', first_name: 'Bo' },
        { did: 'P0003', email: 'cy@example.org', first_name: 'Cy', status: 'sleeping' },
      ],
      ['did', 'email', 'first_name', 'status'],
    );
    const out = await validate();
    expect(out.exitCode).toBe(1);
    expect(out.json.run_blocked).toBe(false);
    expect(out.json.errors.map((e) => [e.code, e.did])).toEqual([
      ['email_invalid', 'P0002'],
      ['status_unknown', 'P0003'],
    ]);
    expect(out.json.counts).toMatchObject({ eligible: 1, blocked: 2 });
    expect(out.text).toMatch(/ERROR email_invalid \(row 3, DID P0002, column email\)/);
  });

  it('email_suppressed: a new DID using the address of a withdrawn participant is blocked, not mailed (issue 9 §5)', async () => {
    ws = makeWorkspace({ participants: 10 });
    ws.writeRoster(
      [
        { did: 'P0001', email: 'a@example.org', status: 'withdrawn' },
        { did: 'P0002', email: ' A@Example.org', status: 'active' },
        { did: 'P0003', email: 'cy@example.org', status: 'sleeping' },
      ],
      ['did', 'email', 'status'],
    );
    const t = testContext(ws);
    const validation = (await execute(validateParticipants, t.ctx, { reportDate: ws.reportDate })).data;
    expect([...validation.participants].map((p) => [p.row.did, p.kind])).toEqual([
      ['P0001', 'skipped'],
      ['P0002', 'blocked'],
      ['P0003', 'blocked'],
    ]);
    const finding = validation.findings.find((f) => f.code === 'email_suppressed')!;
    expect(finding).toMatchObject({ did: 'P0002', severity: 'error' });
    expect(finding.message).toMatch(/P0002.*P0001/);
    expect(finding.message).not.toMatch(/example/i);
    // The CLI may quote the offending value; the Slack form (values: false) does not.
    expect(validationText(validation)).toContain('"sleeping"');
    expect(validationText(validation, false)).not.toContain('sleeping');
  });
});

describe('validate-participants on a large roster', () => {
  it('classifies 5,000 participants exactly as a naive join of the CSV and the day (the compact tables grow many times)', async () => {
    ws = makeWorkspace({ participants: 5_000, days: 2 });
    const t = testContext(ws);
    const validation = (await execute(validateParticipants, t.ctx, { reportDate: ws.reportDate })).data;
    t.close();
    // The naive way: every row's cells, and the day's DIDs in a Set.
    const db = new Database(ws.fixture.dbPath, { readonly: true });
    const withData = new Set(
      db.prepare('SELECT did FROM daily_compliance WHERE day = ?').pluck().all(ws.reportDate) as string[],
    );
    db.close();
    const [header, ...lines] = readFileSync(ws.fixture.rosterPath, 'utf8').trim().split(/\r?\n/);
    const columns = header!.split(',');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
    const active = rows.filter((r) => (r.status || 'active') === 'active');
    const roster = new Set(rows.map((r) => r.did));
    expect(rows.length).toBe(5_000);
    const kinds = [...validation.participants].map((p) => `${p.row.row}:${p.row.did}:${p.kind}`);
    expect(kinds).toEqual(
      rows.map((r, i) => {
        const status = r.status || 'active';
        const kind = status === 'active' && withData.has(r.did!) ? 'eligible' : 'skipped';
        return `${i + 2}:${r.did}:${kind}`;
      }),
    );
    const codes = (code: string) => validation.findings.filter((f) => f.code === code).map((f) => f.did);
    expect(codes('no_data_for_day')).toEqual(active.filter((r) => !withData.has(r.did!)).map((r) => r.did));
    expect(codes('did_not_in_roster')).toEqual([...withData].filter((did) => !roster.has(did)));
    const firsts = [...validation.participants].filter((p) => validation.participants.isFirstOfDid(p.index));
    expect(firsts.map((p) => p.row.did)).toEqual(rows.map((r) => r.did));
  });
});

describe('validate-participants from the command line', () => {
  it('exits 2 naming COMPLIANCE_DB_PATH when the database is missing', async () => {
    ws = makeWorkspace();
    const result = await cli(
      ['validate-participants'],
      { ...ws.env, COMPLIANCE_DB_PATH: join(ws.dir, 'nope.db') },
      ws.dir,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`COMPLIANCE_DB_PATH=${join(ws.dir, 'nope.db')} does not exist`);
  });

  it('exits 2 with what to check when the database file is corrupt', async () => {
    ws = makeWorkspace();
    writeFileSync(ws.fixture.dbPath, Buffer.alloc(4096, 7));
    const result = await cli(['validate-participants', '--json'], ws.env, ws.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be read: file is not a database/);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'compliance_db_unreadable' } });
  });

  it('exits 1 with a clear finding for a malformed CSV, and prints only JSON on stdout with --json', async () => {
    ws = makeWorkspace();
    writeFileSync(ws.fixture.rosterPath, 'did,email\nP0001,"ana@example.org\nP0002,bo@example.org\n');
    const result = await cli(['validate-participants', '--json'], ws.env, ws.dir);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.errors[0]).toMatchObject({ code: 'roster_malformed', scope: 'run', row: 2, column: 'email' });
    // No address in the finding, though the broken value is one.
    expect(result.stdout).not.toContain('ana@example.org');
  });

  it('exits 2 for a bad --date and for bad settings, naming them', async () => {
    ws = makeWorkspace();
    const badDate = await cli(['validate-participants', '--date', '23/11/2026'], ws.env, ws.dir);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('"23/11/2026" is not a date');
    const badConfig = await cli(['validate-participants'], { ...ws.env, STUDY_TZ: 'Nowhere', SMTP_PORT: 'x' }, ws.dir);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/STUDY_TZ: must be an IANA time zone/);
    expect(badConfig.stderr).toMatch(/SMTP_PORT: must be a whole number/);
  });

  it('a roster-level error stands alone: no template errors, no did_not_in_roster for every DID', async () => {
    ws = makeWorkspace({ participants: 40 });
    const text = readFileSync(ws.fixture.rosterPath, 'utf8');
    writeFileSync(ws.fixture.rosterPath, text.replaceAll(',', ';'));
    const out = await validate();
    expect(out.exitCode).toBe(1);
    expect(out.json.errors.map((e) => e.code)).toEqual(['roster_separator']);
    expect(out.json.warnings).toEqual([]);
  });
});
