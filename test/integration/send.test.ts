import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { contentHash, rfc5322Date, withDate } from '../../src/mail/compose.js';
import { auditForRun } from '../../src/storage/audit.js';
import type { ResendUnknown } from '../../src/storage/send-ledger.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { type Behaviour, startSmtpSink } from '../support/smtp-sink.js';
import { makeTestCerts } from '../support/test-certs.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

type Json = Record<string, any>;

function dateHeader(bytes: Buffer): string | undefined {
  return /\r\nDate: ([^\r]*)\r\n/.exec(bytes.toString('latin1'))?.[1];
}

async function sendDailyIn(
  env: Env,
  options: { dryRun?: boolean; resendUnknown?: ResendUnknown; runId?: string; now?: () => Date } = {},
) {
  const t = testContext(study.ws, env, options.now ? { now: options.now } : {});
  try {
    const out = (await execute(sendDaily, t.ctx, {
      reportDate: study.ws.reportDate,
      dryRun: options.dryRun ?? false,
      yes: true,
      resendUnknown: options.resendUnknown ?? 'none',
      ...(options.runId ? { runId: options.runId } : {}),
    })) as { exitCode: number; text: string; json: Json };
    return { ...out, logs: t.logs.join('') };
  } finally {
    t.close();
  }
}

/** Active participants with data: the ones who get a message, by e-mail (lower case). */
function plannedRecipients(): Map<string, string> {
  const t = testContext(study.ws);
  const rows = t
    .db()
    .prepare("SELECT did FROM messages WHERE state IN ('planned', 'sent', 'failed', 'unknown')")
    .all() as { did: string }[];
  t.close();
  const emailByDid = new Map(
    readFileSync(study.ws.fixture.rosterPath, 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => [l.split(',')[0]!, l.split(',')[1]!.toLowerCase()]),
  );
  return new Map(rows.map((r) => [emailByDid.get(r.did)!, r.did]));
}

async function withSink(behaviour?: (to: string) => Behaviour, extra: Parameters<typeof startSmtpSink>[0] = {}) {
  study.sink = await startSmtpSink({ ...(behaviour ? { behaviour } : {}), ...extra });
  return smtpEnv(study.sink.port);
}

describe('send-daily (live) against an in-process SMTP server', () => {
  it('sends exactly the previewed bytes, once each, archives them as sent, and re-running sends nothing', async () => {
    study.ws = makeWorkspace({ participants: 25 });
    const env = await withSink();
    // Previewed an hour ago: the Date header sent (and archived) is the time of sending.
    const previewedAt = new Date(Date.now() - 3_600_000);
    await sendDailyIn(env, { dryRun: true, now: () => previewedAt });
    const first = await sendDailyIn(env);
    expect(first.exitCode).toBe(0);
    expect(first.json.outcome).toBe('done');
    const recipients = plannedRecipients();
    expect(study.sink!.count).toBe(recipients.size);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    for (const message of study.sink!.received) {
      const did = recipients.get(message.to[0]!)!;
      const previewed = readFileSync(join(study.ws.env.OUTBOX_DIR!, 'dry-run', study.ws.reportDate, `${did}.eml`));
      // Every byte but the Date header's value (the time of sending, DESIGN §9).
      expect(contentHash(message.raw)).toBe(contentHash(previewed));
      expect(withDate(message.raw, new Date(0)).equals(withDate(previewed, new Date(0)))).toBe(true);
      const archived = readFileSync(join(study.ws.env.OUTBOX_DIR!, 'sent', study.ws.reportDate, `${did}.eml`));
      expect(contentHash(archived)).toBe(contentHash(previewed));
      expect(dateHeader(archived)).toBe(dateHeader(message.raw));
      expect(dateHeader(previewed)).toBe(rfc5322Date(previewedAt));
      expect(dateHeader(archived)).not.toBe(dateHeader(previewed));
      expect(message.from).toBe('study@example.org');
    }
    const parsed = await simpleParser(study.sink!.received[0]!.raw);
    expect(parsed.subject).toMatch(/surveys$/);

    const again = await sendDailyIn(env);
    expect(again.json.sent_this_pass).toBe(0);
    expect(study.sink!.count).toBe(recipients.size);
    const log = readFileSync(join(study.ws.env.OUTBOX_DIR!, 'send_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.filter((l) => l.status === 'sent')).toHaveLength(recipients.size);
    for (const email of recipients.keys()) expect(JSON.stringify(log) + first.logs + first.text).not.toContain(email);
  });

  it('records 550 rejections as permanent failures with masked addresses and exits 1', async () => {
    study.ws = makeWorkspace({ participants: 20 });
    await sendDailyIn({}, { dryRun: true });
    const recipients = [...plannedRecipients().keys()];
    const rejected = new Set(recipients.slice(0, 3));
    const env = await withSink((to) => (rejected.has(to) ? { kind: 'reject' } : { kind: 'accept' }));
    await sendDailyIn(env, { dryRun: true });
    const out = await sendDailyIn(env);
    expect(out.exitCode).toBe(1);
    expect(out.json.counts).toMatchObject({ sent: recipients.length - 3, failed: 3 });
    expect(out.json.failures).toHaveLength(3);
    for (const f of out.json.failures) {
      expect(f).toMatchObject({ attempts: 1, kind: 'permanent' });
      expect(f.error).toMatch(/550 5\.1\.1 <.\*\*\*@example\.(org|com|net)>/);
    }
    for (const email of rejected) expect(study.sink!.attempts.get(email)).toBe(1);
    for (const email of rejected) expect(JSON.stringify(out.json) + out.text + out.logs).not.toContain(email);
  });

  it('retries 451 with back-off and delivers once', async () => {
    study.ws = makeWorkspace({ participants: 10 });
    const env = await withSink((to) =>
      to.startsWith('a') || to.startsWith('o') ? { kind: 'defer', times: 2 } : { kind: 'accept' },
    );
    await sendDailyIn(env, { dryRun: true });
    const out = await sendDailyIn(env);
    expect(out.exitCode).toBe(0);
    const deferredOnes = [...study.sink!.attempts.entries()].filter(([to]) => to.startsWith('a') || to.startsWith('o'));
    expect(deferredOnes.length).toBeGreaterThan(0);
    for (const [to, attempts] of deferredOnes) {
      expect(attempts).toBe(3);
      expect(study.sink!.deliveries.get(to)).toBe(1);
    }
    expect(out.json.counts.failed).toBe(0);
  });

  it('a connection dropped before the message is retried; one dropped after the message is "unknown" and not re-sent without --resend-unknown', async () => {
    study.ws = makeWorkspace({ participants: 20 });
    await sendDailyIn({}, { dryRun: true });
    const [dropBefore, dropAfter] = [...plannedRecipients().keys()];
    let afterBehaviour: Behaviour = { kind: 'drop-after-data' };
    const env = await withSink((to) =>
      to === dropBefore
        ? { kind: 'drop-before-data', times: 1 }
        : to === dropAfter
          ? afterBehaviour
          : { kind: 'accept' },
    );
    await sendDailyIn(env, { dryRun: true });
    const out = await sendDailyIn(env);
    expect(out.exitCode).toBe(1);
    expect(study.sink!.deliveries.get(dropBefore!)).toBe(1);
    expect(study.sink!.deliveries.get(dropAfter!)).toBeUndefined();
    expect(out.json.counts.unknown).toBe(1);
    expect(out.json.unknown_dids).toHaveLength(1);
    expect(out.text).toContain('--resend-unknown');

    afterBehaviour = { kind: 'accept' };
    const rerun = await sendDailyIn(env);
    expect(rerun.json.sent_this_pass).toBe(0);
    expect(study.sink!.deliveries.get(dropAfter!)).toBeUndefined();

    const resend = await sendDailyIn(env, { resendUnknown: 'all' });
    expect(resend.exitCode).toBe(0);
    expect(study.sink!.deliveries.get(dropAfter!)).toBe(1);
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
  });

  it('pauses after a run of consecutive failures instead of burning through the roster, and continues later', async () => {
    study.ws = makeWorkspace({ participants: 30 });
    let down = true;
    const env = await withSink(() =>
      down
        ? { kind: 'reject', code: 554, message: '5.7.1 Service unavailable; client host blocked' }
        : { kind: 'accept' },
    );
    const settings = { ...env, SEND_PAUSE_AFTER_FAILURES: '4', SMTP_MAX_CONNECTIONS: '1' };
    await sendDailyIn(settings, { dryRun: true });
    const paused = await sendDailyIn(settings);
    expect(paused.exitCode).toBe(1);
    expect(paused.json.outcome).toBe('paused');
    expect(paused.json.pause_reason).toMatch(/4 attempts in a row failed/);
    expect(paused.json.counts.failed).toBe(4);
    expect(paused.json.counts.planned).toBeGreaterThan(10);
    const t = testContext(study.ws);
    expect(t.db().prepare('SELECT state FROM runs WHERE id = ?').get(paused.json.run_id)).toEqual({ state: 'paused' });
    t.close();

    down = false;
    const resumed = await sendDailyIn(settings);
    expect(resumed.json.outcome).toBe('done');
    expect(resumed.json.counts.failed).toBe(4); // permanent failures are not retried
    expect(study.sink!.count).toBe(resumed.json.counts.sent);
  });

  it('pauses at once, sending nothing, when SMTP authentication fails', async () => {
    study.ws = makeWorkspace({ participants: 10 });
    const certs = makeTestCerts();
    onTestFinished(() => certs.cleanup());
    study.sink = await startSmtpSink({ auth: { user: 'study', pass: 'right' }, starttls: certs });
    const env = smtpEnv(study.sink.port, { SMTP_USER: 'study', SMTP_PASS: 'wrong', SMTP_TLS_CA_FILE: certs.caFile });
    await sendDailyIn(env, { dryRun: true });
    const out = await sendDailyIn(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/Check SMTP_USER and SMTP_PASS/);
    expect(out.json.counts.failed).toBe(0);
    expect(study.sink.count).toBe(0);
    expect(out.logs).not.toContain('wrong');

    const ok = await sendDailyIn({ ...env, SMTP_PASS: 'right' });
    expect(ok.json.outcome).toBe('done');
    expect(study.sink.count).toBe(ok.json.counts.sent);
  });

  it('refuses a run previewed with other settings, and one whose preview files changed', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const env = await withSink();
    await sendDailyIn(env, { dryRun: true });
    await expect(sendDailyIn({ ...env, MAIL_REDIRECT_TO: 'qa@example.org' })).rejects.toThrow(
      /MAIL_REDIRECT_TO is "qa@example.org" now but was unset/,
    );

    const dir = join(study.ws.env.OUTBOX_DIR!, 'dry-run', study.ws.reportDate);
    const { writeFileSync, readdirSync } = await import('node:fs');
    const victim = join(dir, readdirSync(dir)[0]!);
    writeFileSync(victim, readFileSync(victim, 'utf8').replace('Hello', 'Hullo'));
    const out = await sendDailyIn(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/changed since it was previewed/);
  });

  it('sends with the Date of sending while the preview keeps its own; sending changes only the Date', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const env = await withSink();
    const previewedAt = new Date(Date.now() - 90 * 60_000);
    previewedAt.setUTCMilliseconds(0);
    await sendDailyIn(env, { dryRun: true, now: () => previewedAt });
    const sentAt = new Date();
    sentAt.setUTCMilliseconds(0);
    const out = await sendDailyIn(env, { now: () => sentAt });
    expect(out.json.outcome).toBe('done');
    const dir = join(study.ws.env.OUTBOX_DIR!, 'dry-run', study.ws.reportDate);
    const sent = await simpleParser(study.sink!.received[0]!.raw);
    expect(sent.date?.toISOString()).toBe(sentAt.toISOString());
    const { readdirSync } = await import('node:fs');
    const preview = await simpleParser(readFileSync(join(dir, readdirSync(dir)[0]!)));
    expect(preview.date?.toISOString()).toBe(previewedAt.toISOString());
    expect(study.sink!.received[0]!.raw.toString('latin1').match(/^Date: /gm)).toHaveLength(1);
  });

  it.each([
    [
      'its Date line carries an extra header',
      (eml: string) =>
        eml.replace(/\r\nDate: [^\r]*/, '\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\nBcc: x@example.net'),
    ],
    ['its body changed', (eml: string) => eml.replace(/(\r\n\r\n[\s\S]*?)Hello/, '$1Hullo')],
  ])('refuses a preview whose hash no longer matches: %s', async (_name, tamper) => {
    const { writeFileSync, readdirSync } = await import('node:fs');
    study.ws = makeWorkspace({ participants: 6 });
    const env = await withSink();
    await sendDailyIn(env, { dryRun: true });
    const dir = join(study.ws.env.OUTBOX_DIR!, 'dry-run', study.ws.reportDate);
    const victim = join(dir, readdirSync(dir)[0]!);
    const before = readFileSync(victim, 'latin1');
    const after = tamper(before);
    expect(after).not.toBe(before);
    writeFileSync(victim, after, 'latin1');
    const out = await sendDailyIn(env);
    expect(out.json.outcome).toBe('paused');
    expect(out.json.pause_reason).toMatch(/changed since it was previewed/);
  });

  it('respects SMTP_RATE_PER_SECOND', async () => {
    study.ws = makeWorkspace({ participants: 24 });
    const env = await withSink();
    await sendDailyIn(env, { dryRun: true });
    const started = performance.now();
    const out = await sendDailyIn({ ...env, SMTP_RATE_PER_SECOND: '40' });
    const seconds = (performance.now() - started) / 1000;
    const sent = out.json.counts.sent as number;
    expect(sent).toBeGreaterThan(15);
    // n messages at 40/s cannot take less than (n - 1) / 40 seconds.
    expect(seconds).toBeGreaterThanOrEqual((sent - 1) / 40 - 0.02);
  });

  it('refuses to start after SEND_DEADLINE, sending nothing', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const env = await withSink();
    await sendDailyIn(env, { dryRun: true });
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const t = testContext(study.ws, env);
    await expect(
      execute(sendDaily, t.ctx, { reportDate: old, dryRun: false, yes: true, resendUnknown: 'none' }),
    ).rejects.toThrow(/past SEND_DEADLINE/);
    t.close();
    expect(study.sink!.count).toBe(0);
  });

  it('keeps an append-only audit trail of the plan, the approval, the send and each failure', async () => {
    study.ws = makeWorkspace({ participants: 10 });
    await sendDailyIn({}, { dryRun: true });
    const [rejected] = [...plannedRecipients().keys()];
    const env = await withSink((to) => (to === rejected ? { kind: 'reject' } : { kind: 'accept' }));
    await sendDailyIn(env, { dryRun: true });
    const out = await sendDailyIn(env);
    const t = testContext(study.ws);
    const trail = auditForRun(t.db(), out.json.run_id);
    expect(trail.map((row) => [row.action, row.actor])).toEqual([
      ['run_planned', 'cli:tester'],
      ['run_approved', 'cli:tester'],
      ['send_started', 'cli:tester'],
      ['message_failed', 'system'],
      ['send_finished', 'cli:tester'],
    ]);
    expect(JSON.parse(trail[3]!.detail_json!)).toMatchObject({
      attempts: 1,
      error: expect.stringMatching(/550 5\.1\.1 <.\*\*\*@/),
    });
    expect(() => t.db().prepare('UPDATE audit SET actor = ?').run('someone else')).toThrow(/append-only/);
    expect(() => t.db().prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    t.close();
  });
});
