import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import { testContext } from '../support/context.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const rosterEmails = (w: Workspace): string[] =>
  readFileSync(w.fixture.rosterPath, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[1] ?? '')
    .filter((e) => e.includes('@'));

async function dryRun(env: Record<string, string> = {}) {
  const t = testContext(ws, env);
  try {
    const out = await execute(sendDaily, t.ctx, {
      reportDate: ws.reportDate,
      dryRun: true,
      yes: false,
      resendUnknown: 'none',
    });
    return {
      out: out as { exitCode: number; text: string; json: Record<string, any> },
      logs: t.logs,
      progress: t.progress,
    };
  } finally {
    t.close();
  }
}

describe('send-daily --dry-run', () => {
  it('writes one .eml per message, logs every participant, and summarises counts and the batch hash', async () => {
    ws = makeWorkspace({ participants: 40 });
    const { out, logs } = await dryRun({ MAIL_FROM: 'Study Team <study@example.org>' });
    expect(out.exitCode).toBe(0);
    const json = out.json;
    const dir = join(ws.env.OUTBOX_DIR!, 'dry-run', ws.reportDate);
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(json.counts.to_send);
    expect(json.counts.to_send + json.counts.skipped + json.counts.blocked).toBe(json.counts.participants);
    expect(json.skipped_by_reason).toMatchObject({
      no_data_for_day: 2,
      status_paused: expect.any(Number),
      status_withdrawn: expect.any(Number),
      status_opted_out: expect.any(Number),
    });
    expect(json.batch_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out.text).toContain(`DRY RUN for ${ws.reportDate}: nothing was sent.`);
    expect(out.text).toContain(json.batch_hash);

    const log = readFileSync(join(ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log).toHaveLength(json.counts.participants);
    expect(log.filter((l) => l.status === 'dry_run')).toHaveLength(json.counts.to_send);
    expect(log[0]).toEqual(
      expect.objectContaining({
        run_id: json.run_id,
        report_date: ws.reportDate,
        dry_run: true,
        to_masked: expect.stringMatching(/^.\*\*\*@example\.(org|com|net)$/),
        template_hash: json.template_hash,
      }),
    );

    const message = await simpleParser(readFileSync(join(dir, files[0]!)));
    expect(message.subject).toMatch(/^Your study update for .*: \d of \d surveys$/);
    expect(message.text).toMatch(/Surveys completed: {2}\d of \d/);
    expect(message.html).toContain('Since you joined');

    const everything =
      readFileSync(join(ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8') +
      logs.join('') +
      out.text +
      JSON.stringify(json);
    for (const email of rosterEmails(ws)) expect(everything).not.toContain(email);
  });

  it('a later dry run supersedes the earlier one and replaces its previews', async () => {
    ws = makeWorkspace({ participants: 12 });
    const first = await dryRun();
    const second = await dryRun();
    const t = testContext(ws);
    const states = t.db().prepare('SELECT id, state, superseded_by FROM runs ORDER BY created_at, rowid').all();
    t.close();
    expect(states).toEqual([
      { id: first.out.json.run_id, state: 'superseded', superseded_by: second.out.json.run_id },
      { id: second.out.json.run_id, state: 'planned', superseded_by: null },
    ]);
  });

  it('in staging mode every message goes to the test inbox with [TEST <DID>] and the summary says so', async () => {
    ws = makeWorkspace({ participants: 8 });
    const { out } = await dryRun({ MAIL_REDIRECT_TO: 'qa-inbox@example.org' });
    expect(out.text).toMatch(/^\*\*\* STAGING: every message goes to qa-inbox@example.org, not to participants/);
    expect(out.json.staging_redirect_to).toBe('qa-inbox@example.org');
    const dir = join(ws.env.OUTBOX_DIR!, 'dry-run', ws.reportDate);
    for (const file of readdirSync(dir)) {
      const message = await simpleParser(readFileSync(join(dir, file)));
      expect(message.to).toMatchObject({ value: [{ address: 'qa-inbox@example.org' }] });
      expect(message.subject).toMatch(new RegExp(`^\\[TEST ${file.replace('.eml', '')}\\] `));
    }
  });

  it('a run blocked by validation errors writes no previews and exits 1', async () => {
    ws = makeWorkspace({ participants: 8 });
    ws.writeRoster([
      { did: 'P0001', email: 'a@example.org' },
      { did: 'P0001', email: 'b@example.org' },
    ]);
    const { out } = await dryRun();
    expect(out.exitCode).toBe(1);
    expect(out.json.counts).toMatchObject({ to_send: 0, blocked: 1 });
    expect(out.json.blocked_by_code).toEqual({ did_duplicate: 1 });
  });

  it('a run blocked as a whole says why in its own output, not only "see validate-participants"', async () => {
    ws = makeWorkspace({ participants: 8 });
    writeFileSync(ws.fixture.rosterPath, 'did;email\nP0001;a@example.org\n');
    const { out } = await dryRun();
    expect(out.exitCode).toBe(1);
    expect(out.json.state).toBe('blocked');
    expect(out.text).toContain("Error: The roster's header line separates its columns with semicolons");
    expect(out.text).toContain('Fix: Save the roster as "CSV UTF-8"');
    expect(out.text).toContain('The run is BLOCKED');
  });

  it('says how far rendering got: the first batch, at most every two seconds, and the last', async () => {
    ws = makeWorkspace({ participants: 650 });
    const started = performance.now();
    const { out, progress } = await dryRun();
    const seconds = (performance.now() - started) / 1000;
    const total = out.json.counts.to_send as number;
    expect(total).toBeGreaterThan(400); // more than two batches of 200
    const rendered = progress.filter((line) => line.startsWith('rendered '));
    expect(rendered[0]).toBe(`rendered 200 of ${total}`);
    expect(rendered.at(-1)).toBe(`rendered ${total} of ${total}`);
    // Not a line per batch (that made 500 lines at 100,000): one per two seconds at most.
    expect(rendered.length).toBeLessThanOrEqual(2 + Math.floor(seconds / 2));
  }, 60_000);
});
