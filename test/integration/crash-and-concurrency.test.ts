/**
 * The ledger's promises under the worst conditions, with real processes: a sender killed with
 * SIGKILL mid-send and re-run, and two senders started at once.
 */
import { describe, expect, it } from 'vitest';
import { smtpEnv, testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { cli, makeWorkspace, runCli } from '../support/workspace.js';

const study = useTestResources();

function ledger(): { sent: string[]; unknown: string[]; planned: string[] } {
  const t = testContext(study.ws);
  const rows = t
    .db()
    .prepare(
      "SELECT did, state FROM messages WHERE run_id = (SELECT id FROM runs WHERE state != 'superseded' ORDER BY created_at DESC LIMIT 1)",
    )
    .all() as { did: string; state: string }[];
  t.close();
  const by = (state: string): string[] => rows.filter((r) => r.state === state).map((r) => r.did);
  return { sent: by('sent'), unknown: by('unknown'), planned: by('planned') };
}

const waitFor = async (condition: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('exactly once, whatever happens to the sender', () => {
  it('SIGKILL mid-send, then re-run: nobody gets a second e-mail, and in-flight messages are reported unknown', async () => {
    study.ws = makeWorkspace({ participants: 60 });
    study.sink = await startSmtpSink({ acceptDelayMs: 25 });
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port), SMTP_MAX_CONNECTIONS: '3' };
    expect((await cli(['send-daily', '--dry-run'], env, study.ws.dir)).code).toBe(0);

    const victim = runCli(['send-daily', '--yes'], env, { cwd: study.ws.dir });
    await waitFor(() => study.sink!.count >= 12);
    victim.kill('SIGKILL');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    const deliveredBeforeRerun = study.sink.count;
    expect(deliveredBeforeRerun).toBeLessThan(50);

    const rerun = await cli(['send-daily', '--yes', '--json'], env, study.ws.dir);
    const result = JSON.parse(rerun.stdout);
    expect(result.outcome).toBe('done');
    await new Promise((r) => setTimeout(r, 100)); // let the study.sink finish messages whose sender died

    const { sent, unknown, planned } = ledger();
    expect(planned).toEqual([]);
    expect([...study.sink.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(sent.length + unknown.length).toBe(result.counts.sent + result.counts.unknown);
    // Every message the ledger calls sent arrived once; the only ones that may be missing are
    // those reported unknown (the kill came while they were in flight).
    expect(study.sink.count).toBeGreaterThanOrEqual(sent.length);
    expect(study.sink.count).toBeLessThanOrEqual(sent.length + unknown.length);
    expect(unknown.length).toBeGreaterThanOrEqual(1); // three connections were busy when the kill came
    expect(unknown.length).toBeLessThanOrEqual(3);
    expect(rerun.code).toBe(unknown.length > 0 ? 1 : 0);
    if (unknown.length > 0) expect(result.unknown_dids.sort()).toEqual([...unknown].sort());
  });

  it('SIGTERM mid-send: the messages in flight finish, nothing is left unknown, and a re-run completes', async () => {
    study.ws = makeWorkspace({ participants: 50 });
    study.sink = await startSmtpSink({ acceptDelayMs: 25 });
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port), SMTP_MAX_CONNECTIONS: '3' };
    expect((await cli(['send-daily', '--dry-run'], env, study.ws.dir)).code).toBe(0);
    const sender = runCli(['send-daily', '--yes', '--json'], env, { cwd: study.ws.dir });
    await waitFor(() => study.sink!.count >= 10);
    sender.kill('SIGTERM');
    const stopped = await sender.done;
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('SIGTERM: finishing the message in flight, then stopping');
    const result = JSON.parse(stopped.stdout);
    expect(result.outcome).toBe('interrupted');
    expect(result.counts.unknown).toBe(0);
    expect(result.counts.sending).toBe(0);
    expect(result.counts.sent).toBe(study.sink.count);
    expect(result.counts.planned).toBeGreaterThan(0);

    const rerun = await cli(['send-daily', '--yes', '--json'], env, study.ws.dir);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).outcome).toBe('done');
    expect([...study.sink.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(ledger().planned).toEqual([]);
  });

  it('two send-daily processes started at once: each participant exactly once', async () => {
    study.ws = makeWorkspace({ participants: 40 });
    study.sink = await startSmtpSink({ acceptDelayMs: 20 });
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port), SMTP_MAX_CONNECTIONS: '2' };
    expect((await cli(['send-daily', '--dry-run'], env, study.ws.dir)).code).toBe(0);

    const [a, b] = await Promise.all([
      cli(['send-daily', '--yes'], env, study.ws.dir),
      cli(['send-daily', '--yes'], env, study.ws.dir),
    ]);
    const { sent, planned } = ledger();
    expect(planned).toEqual([]);
    expect(study.sink.count).toBe(sent.length);
    expect([...study.sink.deliveries.values()].every((n) => n === 1)).toBe(true);
    // One of them sent; the other was told another process holds the day (or found nothing left).
    const refused = [a, b].filter((r) => r.code === 1 && /already sending/.test(r.stderr));
    const succeeded = [a, b].filter((r) => r.code === 0);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    expect(refused.length + succeeded.length).toBe(2);
  });

  it('two processes with no dry run beforehand still never double-send', async () => {
    study.ws = makeWorkspace({ participants: 30 });
    study.sink = await startSmtpSink({ acceptDelayMs: 10 });
    const env = { ...study.ws.env, ...smtpEnv(study.sink.port) };
    await Promise.all([
      cli(['send-daily', '--yes'], env, study.ws.dir),
      cli(['send-daily', '--yes'], env, study.ws.dir),
    ]);
    await cli(['send-daily', '--yes'], env, study.ws.dir);
    expect([...study.sink.deliveries.values()].every((n) => n === 1)).toBe(true);
    const t = testContext(study.ws);
    const reached = t.db().prepare("SELECT COUNT(DISTINCT did) AS n FROM messages WHERE state = 'sent'").get() as {
      n: number;
    };
    t.close();
    expect(study.sink.count).toBe(reached.n);
  });
});
