/**
 * What check-bounces leaves behind besides the ledger (issue 11): a send_log.jsonl line for each
 * newly recorded hard bounce, soft bounce and opt-out (none in --dry-run, none for a duplicate),
 * with the send's own fields and no address in clear; and status --json's adherence for the day.
 * The mailbox is a small in-memory stand-in of the BounceMailbox port, fed with the saved DSN
 * fixtures rewritten to name the messages this test really sent to an SMTP sink.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { status } from '../../commands/status.js';
import { checkBounces } from '../../src/bounces/check.js';
import type { BounceMailbox } from '../../src/bounces/imap-mailbox.js';
import { execute } from '../../src/command.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bounces', name), 'utf8');

function memoryMailbox(messages: readonly string[]): BounceMailbox & { handled: number[] } {
  const handled: number[] = [];
  return {
    uidValidity: '1',
    handled,
    listAfter: async (after) =>
      messages.map((m, i) => ({ uid: i + 1, size: Buffer.byteLength(m) })).filter((e) => e.uid > after),
    sources: async (uids) => new Map(uids.map((uid) => [uid, Buffer.from(messages[uid - 1]!, 'utf8')])),
    markHandled: async (uids) => {
      handled.push(...uids);
    },
    close: async () => {},
  };
}

interface Sent {
  did: string;
  message_id: string;
  run_id: string;
  unsubscribe_token: string | null;
  to_masked: string;
}

describe('check-bounces: send_log.jsonl lines and status adherence', () => {
  it('bounced, soft_bounced and opted_out lines, once each, with the send line fields; none in a dry run', async () => {
    study.sink = await startSmtpSink();
    study.ws = makeWorkspace({ participants: 12 });
    const env = smtpEnv(study.sink.port, { BOUNCE_TOKEN_SECRET: 'a-test-secret-of-32-characters!!' });
    const t = testContext(study.ws, env);
    try {
      const sent = await execute(sendDaily, t.ctx, {
        reportDate: study.ws.reportDate,
        dryRun: false,
        yes: true,
        resendUnknown: 'none',
      });
      expect(sent.exitCode, sent.text).toBe(0);
      const rows = t
        .db()
        .prepare(
          "SELECT did, message_id, run_id, unsubscribe_token, to_masked FROM messages WHERE state = 'sent' ORDER BY did",
        )
        .all() as Sent[];
      expect(rows.length).toBeGreaterThanOrEqual(3);
      const [hard, soft, optOut] = rows as [Sent, Sent, Sent];
      const pointAt = (eml: string, m: Sent) =>
        eml
          .replace(
            /<2026-11-29_20261130T090000_a1b2c3\.[0-9a-f]+@study\.test>/g,
            `<${m.message_id.replace(/^<|>$/g, '')}>`,
          )
          .replace(/2026-11-29_20261130T090000_a1b2c3/g, m.run_id)
          .replace(/bounces\+[a-z2-7]{16}@/g, 'bounces@');
      const mailbox = memoryMailbox([
        pointAt(fixture('postfix-unknown-user.eml'), hard),
        pointAt(fixture('gmail-delayed.eml'), soft),
        fixture('unsubscribe-mailto.eml')
          .replaceAll('i5hgrkroeulxhe6q', optOut.unsubscribe_token!)
          .replaceAll('@study.test', '@example.org'),
      ]);
      const deps = {
        db: t.db(),
        config: t.ctx.config,
        logger: t.ctx.logger,
        now: () => new Date(),
        actor: 'cli:tester',
        openMailbox: async () => mailbox,
      };
      const logPath = join(study.ws.env.OUTBOX_DIR!, 'send_log.jsonl');
      const lines = () =>
        readFileSync(logPath, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const before = lines().length;

      const dry = await checkBounces(deps, { dryRun: true });
      expect(dry).toMatchObject({ hardBounces: 1, softBounces: 1, optOuts: 1 });
      expect(lines()).toHaveLength(before);

      const checked = await checkBounces(deps, { dryRun: false });
      expect(checked).toMatchObject({ hardBounces: 1, softBounces: 1, optOuts: 1, notOurs: 0 });
      const added = lines().slice(before);
      expect(added.map((l) => [l.status, l.did])).toEqual([
        ['bounced', hard.did],
        ['soft_bounced', soft.did],
        ['opted_out', optOut.did],
      ]);
      const sendLine = lines().find((l) => l.status === 'sent' && l.did === hard.did)!;
      expect(Object.keys(added[0]!).sort()).toEqual(
        Object.keys(sendLine)
          .filter((k) => k !== 'smtp_response')
          .concat('error')
          .sort(),
      );
      expect(added[0]).toMatchObject({
        run_id: hard.run_id,
        report_date: study.ws.reportDate,
        dry_run: false,
        message_id: hard.message_id,
        to_masked: hard.to_masked,
        template_hash: sendLine.template_hash,
      });
      expect(added[0]!.error).toContain('5.1.1');
      expect(added[1]!.error).toContain('4.3.0');
      expect(added[2]!.error).toBeUndefined();
      // No address in clear: only the masked form the send line has.
      const text = added.map((l) => JSON.stringify({ ...l, message_id: undefined })).join('\n');
      expect(text).not.toMatch(/[A-Za-z0-9._%+-]{2,}@/);

      // The mailbox read again from the start (a new UIDVALIDITY): duplicates, no new lines.
      t.db().prepare('DELETE FROM imap_progress').run();
      const again = await checkBounces(deps, { dryRun: false });
      expect(again.duplicates).toBeGreaterThanOrEqual(2);
      // (A soft bounce read again counts again: soft bounces are counted per DSN, not kept once.)
      expect(
        lines()
          .slice(before + 3)
          .filter((l) => l.status !== 'soft_bounced'),
      ).toEqual([]);

      // status --json: the adherence of the day tells the bounced participant apart.
      const day = await execute(status, t.ctx, { reportDate: study.ws.reportDate });
      const json = day.json as { adherence: { from: string; to: string; days: Record<string, unknown>[] } };
      expect(json.adherence.to).toBe(study.ws.reportDate);
      expect(json.adherence.days[0]).toMatchObject({ report_date: study.ws.reportDate, bounced: 1 });
      const d = json.adherence.days[0] as {
        participants: number;
        unreachable: number;
        bounced: number;
        suppressed: number;
        blocked: number;
        opted_out: number;
        reached: Record<string, number>;
      };
      expect(d.unreachable).toBe(d.bounced + d.suppressed + d.blocked + d.opted_out);
      expect(d.unreachable + Object.values(d.reached).reduce((a, b) => a + b, 0)).toBe(d.participants);
      expect(day.text).toContain('Reach and adherence, last 14 days');
    } finally {
      t.close();
    }
  }, 60_000);
});
