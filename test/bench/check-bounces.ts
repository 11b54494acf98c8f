/**
 * check-bounces on a bounce mailbox of 10,000 messages: 2,000 DSNs for messages in the ledger
 * (Postfix's own shape, from the saved fixture) and 8,000 that are not ours (newsletters, other
 * systems' bounces, plain mail). The mailbox is served by the real Dovecot of the test mail stack
 * (test/support/mail-stack.ts); the messages are written straight into its Maildir, not sent
 * through Postfix. The built CLI runs `check-bounces --json` as users run it: wall time,
 * messages/s and the process's peak RSS. Goal: under 20 s, memory bounded (streamed).
 * Skipped, naming the Debian packages, where Postfix or Dovecot is missing.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { returnPathToken } from '../../src/bounces/token.js';
import { openStateDb } from '../../src/storage/state-db.js';
import { maskEmail } from '../../src/util/mask.js';
import { FIXTURE_RUN_ID, fixtureMessageId, fixtureToken } from '../support/bounce-fixtures.js';
import { connectImap, mailStackAvailable, startMailStack } from '../support/mail-stack.js';
import { paths } from '../support/mail-stack-config.js';
import { measuredEnv, measuredNode, peakOf } from './peak-rss.js';

type Report = (what: string, figure: string, note?: string) => void;
type Fmt = (n: number, digits?: number) => string;

const CLI = resolve(import.meta.dirname, '../../dist/mail-updater.cjs');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/bounces');
const TOTAL = 10_000;
const OURS = 2_000;
const SECRET = 'bench-secret-of-at-least-16-chars';
const RUN_ID = FIXTURE_RUN_ID;
const defaultFmt: Fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const printRow: Report = (what, figure, note = '') => console.log(`  ${what}: ${figure}${note ? `  (${note})` : ''}`);

const did = (i: number): string => `B${String(i).padStart(5, '0')}`;
const messageId = (i: number): string => `${RUN_ID}.bench${String(i).padStart(11, '0')}@study.test`;
const recipient = (i: number): string => `gone${i}@participants.test`;

/** The ledger: one run, OURS sent messages with their envelope tokens and Message-IDs. */
function seedLedger(statePath: string): void {
  const db = openStateDb(statePath);
  try {
    db.prepare(
      `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
       VALUES (?, '2026-11-29', '2026-11-30T09:00:00Z', 'bench', 'done', 'h', 't', '2026-12-01T00:00:00Z', '{}')`,
    ).run(RUN_ID);
    const insert = db.prepare(
      `INSERT INTO messages (run_id, report_date, did, state, to_masked, sha256, message_id, return_path_token, updated_at)
       VALUES (?, '2026-11-29', ?, 'sent', ?, 'h', ?, ?, '2026-11-30T09:00:01Z')`,
    );
    db.transaction(() => {
      for (let i = 0; i < OURS; i++)
        insert.run(RUN_ID, did(i), maskEmail(recipient(i)), messageId(i), returnPathToken(SECRET, RUN_ID, did(i)));
    })();
  } finally {
    db.close();
  }
}

/** Message i of the mailbox: every fifth is a DSN of ours, the rest a mix that is not ours. */
function mailboxMessages(): (i: number) => Buffer {
  const dsn = readFileSync(join(FIXTURES, 'postfix-unknown-user.eml'), 'utf8');
  const fixtureDid = 'S-0101';
  const oldToken = fixtureToken(fixtureDid);
  const oldId = fixtureMessageId(fixtureDid);
  if (!dsn.includes(oldToken) || !dsn.includes(oldId)) throw new Error('postfix-unknown-user.eml changed shape');
  const others = ['newsletter.eml', 'postfix-not-ours.eml', 'auto-reply-x-autoreply.eml'].map((name) =>
    readFileSync(join(FIXTURES, name), 'utf8'),
  );
  let ours = 0;
  return (i) => {
    if (i % 5 === 0 && ours < OURS) {
      const n = ours++;
      return Buffer.from(
        dsn
          .replaceAll(oldToken, returnPathToken(SECRET, RUN_ID, did(n)))
          .replaceAll(oldId, messageId(n))
          .replaceAll('pat.gone@participants.test', recipient(n)),
      );
    }
    const kind = i % 4;
    if (kind < 3) return Buffer.from(others[kind]!.replace(/^Subject: (.*)$/m, `Subject: $1 #${i}`));
    // Plain mail of a few KB, as a shared mailbox also receives.
    return Buffer.from(
      `From: someone${i}@example.org\r\nTo: bounces@study.test\r\nSubject: Hello ${i}\r\nMessage-ID: <m${i}@example.org>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\n${'Lorem ipsum dolor sit amet. '.repeat(100)}\r\n`,
    );
  };
}

export async function benchCheckBounces(report: Report = printRow, fmt: Fmt = defaultFmt): Promise<void> {
  const available = mailStackAvailable();
  if (!available.ok) {
    report('check-bounces, 10,000 messages', 'skipped', available.reason);
    return;
  }
  if (!existsSync(CLI)) {
    report('check-bounces, 10,000 messages', 'skipped', `no ${CLI}: run npm run build first`);
    return;
  }
  const stack = await startMailStack();
  if (stack === undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'mail-updater-bench-bounces-'));
  try {
    const statePath = join(dir, 'state.db');
    seedLedger(statePath);
    // Straight into Dovecot's Maildir (new/), owned by the mail user as a delivery would be.
    const maildir = join(paths(stack.dir).virtualBase, 'study.test/bounces/new');
    const message = mailboxMessages();
    let bytes = 0;
    const base = Math.floor(Date.now() / 1000) - TOTAL;
    for (let i = 0; i < TOTAL; i++) {
      const file = join(maildir, `${base + i}.M${i}P1.bench`);
      const body = message(i);
      bytes += body.length;
      writeFileSync(file, body);
      chownSync(file, 65534, 65534);
    }
    // Dovecot indexes a new Maildir on first open; a live mailbox is indexed as mail arrives.
    const client = await connectImap(stack);
    const status = await client.status('INBOX', { messages: true });
    await client.logout();
    const seen = status === false ? undefined : status.messages;
    if (seen !== TOTAL) throw new Error(`Dovecot sees ${seen} messages, not ${TOTAL}`);

    const env = {
      PATH: process.env.PATH,
      STATE_DB_PATH: statePath,
      OUTBOX_DIR: join(dir, 'outbox'),
      MAIL_FROM: 'Study Team <study@study.test>',
      MAIL_RETURN_PATH: stack.returnPath,
      BOUNCE_TOKEN_SECRET: SECRET,
      IMAP_HOST: stack.host,
      IMAP_PORT: String(stack.imapPort),
      IMAP_SECURE: 'false',
      IMAP_USER: stack.imapUser,
      IMAP_PASS: stack.imapPass,
      LOG_LEVEL: 'warn',
    };
    const started = performance.now();
    const child = spawnSync(process.execPath, [...measuredNode(), CLI, 'check-bounces', '--json'], {
      env: measuredEnv(env),
      encoding: 'utf8',
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = (performance.now() - started) / 1000;
    const peak = peakOf(child.stderr);
    if (child.status !== 0 || peak === undefined)
      throw new Error(`check-bounces failed (${child.status}):\n${child.stderr}\n${child.stdout.slice(0, 2000)}`);
    const out = JSON.parse(child.stdout) as { read: number; hard_bounces: number; not_ours: number };
    if (out.read !== TOTAL || out.hard_bounces !== OURS || out.not_ours !== TOTAL - OURS)
      throw new Error(`check-bounces counted ${JSON.stringify({ ...out, events: undefined })}`);
    report(
      `check-bounces: ${fmt(TOTAL)} messages (${fmt(OURS)} DSNs of ours), ${fmt(bytes / 1024 / 1024, 1)} MB, real Dovecot (whole CLI process)`,
      `${fmt(seconds, 1)} s, ${fmt(TOTAL / seconds)} msg/s, ${fmt(peak.cpuMs / 1000, 1)} s CPU, peak RSS ${fmt(peak.rssMb)} MB`,
      `load average ${fmt(loadavg()[0] ?? 0, 1)} on ${availableParallelism()} cores; goal < 20 s, memory bounded`,
    );
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`check-bounces benchmark, Node ${process.version}:`);
  await benchCheckBounces();
}
