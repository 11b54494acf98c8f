/**
 * One-click unsubscribe (RFC 8058) end to end: a real send (to a local SMTP sink) with PUBLIC_URL
 * set puts the https URI and List-Unsubscribe-Post in every previewed .eml, covered by its hash;
 * POST /unsubscribe on a real HTTP listener (port 0) records the opt-out as the e-mail path does,
 * and the next validation blocks the DID. GET records nothing; forged, malformed and oversized
 * requests record nothing; no participant's address or name reaches the page or the logs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { validateParticipants } from '../../commands/validate-participants.js';
import { unsubscribeToken } from '../../src/bounces/token.js';
import { type CommandSpec, execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { ONE_CLICK_ACTOR, unsubscribeHandler } from '../../src/health/unsubscribe.js';
import { silentLogger } from '../../src/logger.js';
import { contentHash } from '../../src/mail/compose.js';
import { outboxPaths } from '../../src/outbox/paths.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { openStateDb, type StateDb } from '../../src/storage/state-db.js';
import { queryState, testContext } from '../support/context.js';
import { slackEnv } from '../support/slack-bot.js';
import { startSlackStandIn } from '../support/slack-stand-in.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

type Json = Record<string, any>;
const SECRET = 'a-test-secret-of-32-characters!!';
const PUBLIC_URL = 'https://bot.study.test/mail-updater';

describe('one-click unsubscribe (RFC 8058)', () => {
  let ws: Workspace;
  let sink: SmtpSink;
  let env: Env;
  let server: Server;
  let base: string;
  let logs: string[];
  let closeDb: () => void;
  let sentRows: Json[];

  async function run<O, D>(
    command: CommandSpec<O, D>,
    options: O,
    extra: Env = {},
  ): Promise<{ exitCode: number; text: string; json: Json }> {
    const t = testContext(ws, { ...env, ...extra });
    try {
      return (await execute(command, t.ctx, options)) as { exitCode: number; text: string; json: Json };
    } finally {
      t.close();
    }
  }

  const ledger = (sql: string, ...params: unknown[]): Json[] => queryState(ws, env, sql, ...params) as Json[];

  async function request(
    method: string,
    query: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(`${base}/unsubscribe${query}`, {
      method,
      ...(body === undefined
        ? {}
        : { body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** What a participant's row in the roster says (address and names), to check nothing leaks. */
  function participantData(did: string): string[] {
    const [header, ...lines] = readFileSync(ws.fixture.rosterPath, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    const cells = lines.map((l) => l.split(',')).find((c) => c[0] === did)!;
    return ['email', 'first_name', 'last_name']
      .map((name) => cells[columns.indexOf(name)])
      .filter((v): v is string => v !== undefined && v.length > 2);
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    ws = makeWorkspace({ participants: 8 });
    env = {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      MAIL_FROM: 'Study Team <study@study.test>',
      BOUNCE_TOKEN_SECRET: SECRET,
      PUBLIC_URL,
    };
    const sent = await run(sendDaily, { reportDate: ws.reportDate, dryRun: false, yes: true, resendUnknown: 'none' });
    expect(sent.exitCode, sent.text).toBe(0);
    sentRows = ledger(
      "SELECT id, did, run_id, sha256, unsubscribe_token FROM messages WHERE state = 'sent' ORDER BY did",
    );
    expect(sentRows.length).toBeGreaterThan(2);

    const t = testContext(ws, env);
    logs = t.logs;
    closeDb = t.close;
    server = createServer(
      unsubscribeHandler({ db: t.db(), logger: t.ctx.logger, now: () => new Date(), outboxDir: ws.env.OUTBOX_DIR! }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    closeDb?.();
    await sink?.close();
    ws?.cleanup();
  });

  it('every message carries the https URI and List-Unsubscribe-Post, in the previewed bytes and their hash', () => {
    for (const row of sentRows) {
      const token = row.unsubscribe_token as string;
      expect(token).toBe(unsubscribeToken(SECRET, row.run_id, row.did));
      const eml = readFileSync(outboxPaths(ws.env.OUTBOX_DIR!, ws.reportDate).dryRunFile(row.did));
      const text = eml.toString('utf8');
      const header = /\r\nList-Unsubscribe: (.*(?:\r\n .*)*)\r\n/.exec(text)?.[1]?.replace(/\r\n /g, ' ');
      expect(header).toBe(
        `<mailto:study+unsub-${token}@study.test?subject=unsubscribe%20${token}>, <${PUBLIC_URL}/unsubscribe?t=${token}>`,
      );
      expect(text).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
      // The approved hash covers both headers: the bytes hash to it, and without them they do not.
      expect(contentHash(eml)).toBe(row.sha256);
      const withoutPost = Buffer.from(text.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n', ''));
      expect(contentHash(withoutPost)).not.toBe(row.sha256);
      const otherUrl = Buffer.from(text.replace(`${PUBLIC_URL}/unsubscribe`, 'https://evil.test/unsubscribe'));
      expect(contentHash(otherUrl)).not.toBe(row.sha256);
    }
    // What reached the relay is what was previewed.
    const delivered = sink.received.map((m) => m.raw.toString('utf8')).join('\n');
    expect(delivered.match(/List-Unsubscribe-Post: List-Unsubscribe=One-Click/g)).toHaveLength(sentRows.length);
  });

  it('GET shows a confirm page that POSTs the token, and records nothing', async () => {
    const row = sentRows[0]!;
    const res = await request('GET', `?t=${row.unsubscribe_token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.text).toMatch(/<form method="post" action="\?t=[a-z2-7]{16}">/);
    expect(res.text).toContain(`action="?t=${row.unsubscribe_token}"`);
    for (const value of participantData(row.did)) expect(res.text).not.toContain(value);
    expect(res.text).not.toContain(row.did);
    const head = await request('HEAD', `?t=${row.unsubscribe_token}`);
    expect(head.status).toBe(200);
    expect(ledger('SELECT opted_out_at FROM messages WHERE id = ?', row.id)[0]!.opted_out_at).toBeNull();
    expect(ledger("SELECT * FROM suppressions WHERE kind = 'opted_out'")).toEqual([]);
  });

  it('a forged, unknown or malformed token gets the same 404 "not valid" page and records nothing', async () => {
    const forged = unsubscribeToken('another-secret-16-chars+', sentRows[0]!.run_id, sentRows[0]!.did);
    const answers = [
      await request('POST', `?t=${forged}`, 'List-Unsubscribe=One-Click'),
      await request('POST', '?t=aaaaaaaaaaaaaaaa', 'List-Unsubscribe=One-Click'),
      await request('POST', '?t=not-a-token', 'List-Unsubscribe=One-Click'),
      await request('POST', '', 'List-Unsubscribe=One-Click'),
      await request('GET', `?t=${forged}`),
      await request('GET', '?t=%3Cscript%3E'),
    ];
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.text).toContain('This unsubscribe link is not valid.');
      expect(a.text).not.toContain('<script>');
    }
    // Nothing in the page tells a well-formed unknown token from a malformed one.
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(ledger('SELECT COUNT(*) AS n FROM messages WHERE opted_out_at IS NOT NULL')[0]!.n).toBe(0);
    expect(ledger("SELECT COUNT(*) AS n FROM audit WHERE action = 'opt_out_recorded'")[0]!.n).toBe(0);
  });

  it('an oversized body or another method is refused before anything is recorded', async () => {
    const row = sentRows[0]!;
    const big = await request(
      'POST',
      `?t=${row.unsubscribe_token}`,
      `List-Unsubscribe=One-Click&x=${'a'.repeat(8000)}`,
    );
    expect(big.status).toBe(413);
    // A body that lies about its length (chunked, no Content-Length) is cut off at the cap too.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(1000)));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/unsubscribe?t=${row.unsubscribe_token}`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const put = await request('PUT', `?t=${row.unsubscribe_token}`, 'List-Unsubscribe=One-Click');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(ledger('SELECT opted_out_at FROM messages WHERE id = ?', row.id)[0]!.opted_out_at).toBeNull();
  });

  it('POST with a valid token records the opt-out and suppression once; a second POST is a no-op that still succeeds', async () => {
    const row = sentRows[1]!;
    const first = await request('POST', `?t=${row.unsubscribe_token}`, 'List-Unsubscribe=One-Click');
    expect(first.status).toBe(200);
    expect(first.text).toContain('You will not receive');
    const [message] = ledger('SELECT opted_out_at FROM messages WHERE id = ?', row.id);
    expect(message!.opted_out_at).toEqual(expect.any(String));
    expect(ledger("SELECT did, kind FROM suppressions WHERE kind = 'opted_out'")).toEqual([
      { did: row.did, kind: 'opted_out' },
    ]);
    const audits = () => ledger("SELECT actor, detail_json AS detail FROM audit WHERE action = 'opt_out_recorded'");
    expect(audits()).toEqual([{ actor: ONE_CLICK_ACTOR, detail: expect.stringContaining(row.did) }]);

    const optedOutLines = () =>
      readFileSync(join(ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Json)
        .filter((l) => l.status === 'opted_out');
    expect(optedOutLines()).toEqual([expect.objectContaining({ did: row.did, status: 'opted_out' })]);

    const second = await request('POST', `?t=${row.unsubscribe_token}`, 'List-Unsubscribe=One-Click');
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(audits()).toHaveLength(1);
    expect(optedOutLines()).toHaveLength(1);
    expect(ledger('SELECT opted_out_at FROM messages WHERE id = ?', row.id)[0]!.opted_out_at).toBe(
      message!.opted_out_at,
    );

    // The confirm page's own form (token in the URL, RFC 8058 body) works the same way.
    const viaForm = sentRows[2]!;
    const page = await request('GET', `?t=${viaForm.unsubscribe_token}`);
    const action = /action="([^"]+)"/.exec(page.text)![1]!.replace(/&#38;/g, '&');
    const posted = await request('POST', action, 'List-Unsubscribe=One-Click');
    expect(posted.status).toBe(200);
    expect(audits()).toHaveLength(2);

    // The next validation blocks both DIDs, by DID.
    const blocked = await run(validateParticipants, { reportDate: ws.reportDate });
    const findings = (blocked.json.errors as Json[]).filter((f) => f.code === 'opted_out_by_participant');
    expect(findings.map((f) => f.did).sort()).toEqual([row.did, viaForm.did].sort());

    // Logs name the DID, never the participant's address or name, nor the token.
    const text = logs.join('');
    expect(text).toContain(row.did);
    expect(text).toContain('one-click opt-out recorded');
    for (const value of participantData(row.did)) expect(text).not.toContain(value);
    expect(text).not.toContain(row.unsubscribe_token);
  });

  it('without PUBLIC_URL, the messages carry the mailto only: no https URI, no List-Unsubscribe-Post', async () => {
    const plain = makeWorkspace({ participants: 8 });
    try {
      const t = testContext(plain, { MAIL_FROM: 'Study Team <study@study.test>', BOUNCE_TOKEN_SECRET: SECRET });
      try {
        const out = (await execute(sendDaily, t.ctx, {
          reportDate: plain.reportDate,
          dryRun: true,
          yes: false,
          resendUnknown: 'none',
        })) as {
          exitCode: number;
          text: string;
        };
        expect(out.exitCode, out.text).toBe(0);
        const dir = outboxPaths(plain.env.OUTBOX_DIR!, plain.reportDate).dryRunDir;
        const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
        expect(
          files.length,
          `${out.text} ${readdirSync(join(plain.env.OUTBOX_DIR!), { recursive: true }).join(' ')}`,
        ).toBeGreaterThan(0);
        const eml = readFileSync(join(dir, files[0]!), 'utf8');
        expect(eml).toMatch(/\r\nList-Unsubscribe: <mailto:study\+unsub-[a-z2-7]{16}@study\.test\?subject=[^>]+>\r\n/);
        expect(eml).not.toContain('https://');
        expect(eml).not.toContain('List-Unsubscribe-Post');
      } finally {
        t.close();
      }
    } finally {
      plain.cleanup();
    }
  });
});

describe("the bot's listener serves /unsubscribe when PUBLIC_URL is set, in both modes", () => {
  const cases = [
    { mode: 'HTTP mode', extra: {} },
    { mode: 'Socket Mode', extra: { SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-test' } },
  ];
  for (const { mode, extra } of cases) {
    it(mode, async () => {
      const ws = makeWorkspace({ participants: 3 });
      const slack = await startSlackStandIn();
      const apps: SlackApp[] = [];
      const dbs: StateDb[] = [];
      try {
        const answers: Record<string, { status: number; text: string }> = {};
        for (const withUrl of [true, false]) {
          const config = ws.config({
            ...slackEnv(slack.apiUrl),
            ...extra,
            BOUNCE_TOKEN_SECRET: SECRET,
            ...(withUrl ? { PUBLIC_URL } : {}),
          });
          const db = openStateDb(config.STATE_DB_PATH);
          dbs.push(db);
          const app = createSlackApp({ config, logger: silentLogger(), db, postIntervalMs: 5 });
          apps.push(app);
          const port = await app.start();
          const res = await fetch(`http://127.0.0.1:${port}/unsubscribe?t=aaaaaaaaaaaaaaaa`, {
            method: 'POST',
            body: 'List-Unsubscribe=One-Click',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
          answers[String(withUrl)] = { status: res.status, text: await res.text() };
          await app.stop();
        }
        expect(answers.true).toEqual({
          status: 404,
          text: expect.stringContaining('This unsubscribe link is not valid.'),
        });
        expect(answers.false!.status).toBe(404);
        expect(answers.false!.text).not.toContain('unsubscribe link');
      } finally {
        for (const db of dbs) db.close();
        await slack.close();
        ws.cleanup();
      }
    }, 30_000);
  }
});
