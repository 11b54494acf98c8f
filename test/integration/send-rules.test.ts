/**
 * Only the approved batch goes out: what the CLI refuses (a rejected run, a dry run over an
 * approved send), `--run`, chosen unknown-outcome resends, and what `status` tells about them.
 */
import { describe, expect, it } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { status } from '../../commands/status.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { claimDecision, recordApproval } from '../../src/storage/approvals.js';
import { acquireLock, sendLockName } from '../../src/storage/locks.js';
import { currentRun, getRun } from '../../src/storage/runs.js';
import type { ResendUnknown } from '../../src/storage/send-ledger.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { type Behaviour, startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();

async function sendDaily_(env: Env, options: { dryRun?: boolean; runId?: string; resendUnknown?: ResendUnknown } = {}) {
  const t = testContext(study.ws, env);
  try {
    return await execute(sendDaily, t.ctx, {
      reportDate: study.ws.reportDate,
      dryRun: options.dryRun ?? false,
      yes: true,
      resendUnknown: options.resendUnknown ?? 'none',
      ...(options.runId ? { runId: options.runId } : {}),
    });
  } finally {
    t.close();
  }
}

async function sinkEnv(behaviour?: (to: string) => Behaviour): Promise<Env> {
  study.sink = await startSmtpSink(behaviour ? { behaviour } : {});
  return smtpEnv(study.sink.port);
}

function withDb<T>(work: (db: ReturnType<ReturnType<typeof testContext>['db']>) => T): T {
  const t = testContext(study.ws);
  try {
    return work(t.db());
  } finally {
    t.close();
  }
}

describe('only the approved batch goes out', () => {
  it('send-daily --yes refuses a rejected run, saying who rejected it and why, and sends nothing', async () => {
    study.ws = makeWorkspace({ participants: 8 });
    const env = await sinkEnv();
    await sendDaily_(env, { dryRun: true });
    withDb((db) => {
      const run = currentRun(db, study.ws.reportDate)!;
      claimDecision(db, run.id, 'slack:U0APPROVB', { kind: 'reject', reason: 'wear time wrong at site B' }, new Date());
    });
    const refused = sendDaily_(env);
    await expect(refused).rejects.toThrow(/rejected by slack:U0APPROVB.*wear time wrong at site B/);
    await expect(refused).rejects.toMatchObject({ exitCode: 1 });
    expect(study.sink!.count).toBe(0);
    // Nothing was re-planned behind the team's back either.
    withDb((db) => expect(currentRun(db, study.ws.reportDate)!.state).toBe('rejected'));
  });

  it('a dry run is refused while the day has an approved run about to send or sending, and while the send lock is held', async () => {
    study.ws = makeWorkspace({ participants: 8 });
    const env = await sinkEnv();
    await sendDaily_(env, { dryRun: true });
    const approvedId = withDb((db) => {
      const run = currentRun(db, study.ws.reportDate)!;
      recordApproval(db, run, 'cli:alice', new Date());
      return run.id;
    });
    const whileApproved = sendDaily_(env, { dryRun: true });
    await expect(whileApproved).rejects.toThrow(/is approved and about to send/);
    await expect(whileApproved).rejects.toMatchObject({ exitCode: 1 });
    withDb((db) => expect(getRun(db, approvedId)!.state).toBe('planned'));

    // The send itself finishes the approved run; a dry run afterwards is allowed again…
    expect((await sendDaily_(env)).exitCode).toBe(0);
    // …but not while another process holds the day's send lock.
    const t = testContext(study.ws);
    const lock = acquireLock(t.db(), sendLockName(study.ws.reportDate), () => new Date());
    try {
      await expect(sendDaily_(env, { dryRun: true })).rejects.toThrow(/send for .* is in progress/);
    } finally {
      lock.release();
      t.close();
    }
    expect((await sendDaily_(env, { dryRun: true })).exitCode).toBe(0);
  });

  it('--run sends the named run; an unknown ID is a usage error naming it', async () => {
    study.ws = makeWorkspace({ participants: 6 });
    const env = await sinkEnv();
    await sendDaily_(env, { dryRun: true });
    const runId = withDb((db) => currentRun(db, study.ws.reportDate)!.id);
    await expect(sendDaily_(env, { runId: 'no-such-run' })).rejects.toThrow(/There is no run no-such-run/);
    const out = await sendDaily_(env, { runId });
    expect(out.exitCode).toBe(0);
    expect((out.json as { run_id: string }).run_id).toBe(runId);
    expect(study.sink!.count).toBeGreaterThan(0);
  });

  it('status lists unknown outcomes with Message-ID and attempt time; --resend-unknown DID resends only that one', async () => {
    study.ws = makeWorkspace({ participants: 12 });
    let unreliable = true;
    // Two recipients whose connection drops after the message: outcome unknown.
    const dropped = new Set<string>();
    const env = await sinkEnv((to) => {
      if (unreliable && (dropped.has(to) || dropped.size < 2)) {
        dropped.add(to);
        return { kind: 'drop-after-data' };
      }
      return { kind: 'accept' };
    });
    await sendDaily_(env, { dryRun: true });
    const first = await sendDaily_(env);
    expect(first.exitCode).toBe(1);
    unreliable = false;

    const t = testContext(study.ws);
    const shown = await execute(status, t.ctx, { reportDate: study.ws.reportDate });
    t.close();
    const unknown = (shown.data.run?.unknown ?? []) as {
      did: string;
      message_id: string | null;
      attempted_at: string;
    }[];
    expect(unknown).toHaveLength(2);
    for (const u of unknown) {
      expect(u.message_id).toMatch(/^[^\s<>]+@[^\s<>]+$/);
      expect(shown.text).toContain(u.message_id!);
      expect(Number.isNaN(Date.parse(u.attempted_at))).toBe(false);
    }
    expect(shown.text).toContain('--resend-unknown DID');

    const [chosen, leftAlone] = unknown;
    await expect(sendDaily_(env, { resendUnknown: ['NOT-A-DID'] })).rejects.toThrow(
      /Not an unknown-outcome message.*NOT-A-DID/,
    );
    const before = study.sink!.count;
    const resent = await sendDaily_(env, { resendUnknown: [chosen!.did] });
    expect(study.sink!.count).toBe(before + 1);
    const counts = (resent.json as { counts: { unknown: number } }).counts;
    expect(counts.unknown).toBe(1);
    const still = withDb((db) => db.prepare("SELECT did FROM messages WHERE state = 'unknown'").all()) as {
      did: string;
    }[];
    expect(still.map((r) => r.did)).toEqual([leftAlone!.did]);
  });

  it('a paused run shows its reason in status', async () => {
    study.ws = makeWorkspace({ participants: 20 });
    const env = await sinkEnv(() => ({ kind: 'reject', code: 554, message: '5.7.1 client host blocked' }));
    const settings = { ...env, SEND_PAUSE_AFTER_FAILURES: '3', SMTP_MAX_CONNECTIONS: '1' };
    await sendDaily_(settings, { dryRun: true });
    await sendDaily_(settings);
    const t = testContext(study.ws);
    const shown = await execute(status, t.ctx, { reportDate: study.ws.reportDate });
    t.close();
    expect(shown.data.run?.state).toBe('paused');
    expect(shown.data.run?.pause_reason).toMatch(/3 attempts in a row failed/);
    expect(shown.text).toMatch(/Paused: .*3 attempts in a row failed/);
  });
});
