/**
 * One connection failing hard (issue 9 §2): the others stop taking messages, the ones in flight
 * finish and are recorded, and only then is the per-day lock released and the error reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sendDaily } from '../../commands/send-daily.js';
import { execute } from '../../src/command.js';
import type { Env } from '../../src/config.js';
import { SmtpClient } from '../../src/mail/smtp-client.js';
import { SendLog } from '../../src/outbox/send-log.js';
import { sendApprovedRun } from '../../src/sending/live-send.js';
import { smtpSettings } from '../../src/sending/transport.js';
import type { MessageTransport } from '../../src/sending/types.js';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
afterEach(() => vi.restoreAllMocks());

async function sendDailyIn(env: Env, dryRun = false) {
  const t = testContext(study.ws, env);
  try {
    return (await execute(sendDaily, t.ctx, {
      reportDate: study.ws.reportDate,
      dryRun,
      yes: true,
      resendUnknown: 'none',
    })) as { exitCode: number; text: string; json: Record<string, unknown> };
  } finally {
    t.close();
  }
}

function ledger(): { states: Record<string, number>; runState: string; lock: number } {
  const t = testContext(study.ws);
  const rows = t.db().prepare('SELECT state, COUNT(*) AS n FROM messages GROUP BY state').all() as {
    state: string;
    n: number;
  }[];
  const run = t.db().prepare('SELECT state FROM runs ORDER BY created_at DESC LIMIT 1').get() as { state: string };
  const lock = (t.db().prepare('SELECT COUNT(*) AS n FROM locks').get() as { n: number }).n;
  t.close();
  return { states: Object.fromEntries(rows.map((r) => [r.state, r.n])), runState: run.state, lock };
}

/** After the failure is reported, nothing more reaches the relay, and the ledger says what did. */
async function expectStoppedCleanly(sentBefore: number): Promise<void> {
  const atReport = study.sink!.count;
  await sleep(400);
  expect(study.sink!.count).toBe(atReport);
  const { states, runState, lock } = ledger();
  expect(states.sending ?? 0).toBe(0);
  expect(lock).toBe(0);
  expect(runState).toBe('paused');
  expect((states.sent ?? 0) + (states.unknown ?? 0)).toBeGreaterThanOrEqual(study.sink!.count - sentBefore);
  expect(states.sent ?? 0).toBeLessThanOrEqual(study.sink!.count);
}

describe('a connection that fails hard', () => {
  it('send_log.jsonl cannot be written: all connections stop, in-flight messages are recorded, a rerun sends the rest once', async () => {
    study.ws = makeWorkspace({ participants: 40 });
    study.sink = await startSmtpSink({ acceptDelayMs: 40 });
    const env = { ...smtpEnv(study.sink.port), SMTP_MAX_CONNECTIONS: '5' };
    await sendDailyIn(env, true);
    const append = SendLog.prototype.append;
    let sentLines = 0;
    vi.spyOn(SendLog.prototype, 'append').mockImplementation(function (this: SendLog, entry) {
      if (entry.status === 'sent' && ++sentLines === 5)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      append.call(this, entry);
    });
    await expect(sendDailyIn(env)).rejects.toThrow(
      /The send stopped: ENOSPC: no space left on device.*run send-daily again/,
    );
    await expectStoppedCleanly(0);
    const { states } = ledger();
    expect(states.sent).toBe(study.sink!.count); // the message whose log line failed is recorded as sent
    expect(states.planned).toBeGreaterThan(0);

    vi.restoreAllMocks();
    const rerun = await sendDailyIn(env);
    expect(rerun.json.outcome).toBe('done');
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(ledger().states.sending ?? 0).toBe(0);
  });

  it('a transport that throws: its message is "unknown" (never re-sent automatically), the others stop', async () => {
    study.ws = makeWorkspace({ participants: 40 });
    study.sink = await startSmtpSink({ acceptDelayMs: 40 });
    const env = { ...smtpEnv(study.sink.port), SMTP_MAX_CONNECTIONS: '5' };
    const dry = await sendDailyIn(env, true);
    const t = testContext(study.ws, env);
    const settings = smtpSettings(t.ctx.config);
    let calls = 0;
    const openTransport = (): MessageTransport => {
      const client = new SmtpClient(settings);
      return {
        send: async (envelope, message) => {
          if (++calls === 8) throw new TypeError('Cannot read properties of undefined (reading "write")');
          return client.send(envelope, message);
        },
        close: () => client.close(),
      };
    };
    try {
      await expect(
        sendApprovedRun(
          { db: t.db(), config: t.ctx.config, logger: t.ctx.logger, now: t.ctx.now, openTransport },
          {
            runId: String(dry.json.run_id),
            reportDate: study.ws.reportDate,
            actor: 'cli:tester',
            resendUnknown: 'none',
          },
        ),
      ).rejects.toThrow(/The send stopped: Cannot read properties/);
    } finally {
      t.close();
    }
    await expectStoppedCleanly(0);
    expect(ledger().states.unknown).toBe(1);
    const rerun = await sendDailyIn(env);
    expect(rerun.json.outcome).toBe('done');
    expect(rerun.json.counts).toMatchObject({ unknown: 1 });
    expect([...study.sink!.deliveries.values()].every((n) => n === 1)).toBe(true);
  });
});
