/**
 * The Slack part of `npm run bench`: how fast an approval click shows on the request (goal
 * <= 500 ms to the first chat.update on loopback), and how many Slack calls a run costs as the
 * number of failures grows (goal: bounded, <= 30 plus progress updates).
 */
import { messageCounts } from '../../src/storage/messages.js';
import { smtpEnv } from '../support/context.js';
import { APPROVER_A, OPERATOR, startBot } from '../support/slack-bot.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { makeWorkspace } from '../support/workspace.js';

type Report = (what: string, figure: string, note?: string) => void;

async function approvedRun(
  participants: number,
  failures: number,
): Promise<{
  clickToUpdateMs: number;
  calls: number;
  progressUpdates: number;
  failed: number;
  close: () => Promise<void>;
}> {
  const seen = new Map<string, number>();
  const sink = await startSmtpSink({
    keepMessages: false,
    behaviour: (r) => {
      if (!seen.has(r)) seen.set(r, seen.size);
      return seen.get(r)! < failures
        ? { kind: 'reject', code: 550, message: '5.1.1 mailbox unavailable' }
        : { kind: 'accept' };
    },
  });
  const ws = makeWorkspace({ participants, days: 3 });
  const bot = await startBot(
    ws,
    { ...smtpEnv(sink.port), SEND_PAUSE_AFTER_FAILURES: '100000' },
    { progressIntervalMs: 3000 },
  );
  const { runId, ts } = await bot.dryRun(OPERATOR);
  const run = bot.run(runId);
  const before = bot.slack.calls.length;
  const clicked = Date.now();
  await bot.driver.click('approve_run', run.id, APPROVER_A, ts);
  const firstUpdate = await bot.slack.waitFor(() =>
    bot.slack.callsOf('chat.update').find((c) => c.args.ts === ts && c.at >= clicked),
  );
  await bot.slack.waitFor(() => bot.run(run.id).state === 'done', 120_000, 'the send');
  // Wait for the thread to settle (the replies follow the final update).
  let settled = bot.slack.calls.length;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (bot.slack.calls.length === settled) break;
    settled = bot.slack.calls.length;
  }
  const after = bot.slack.calls.slice(before);
  const progressUpdates = after.filter(
    (c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks).includes('Sending…'),
  ).length;
  return {
    clickToUpdateMs: firstUpdate.at - clicked,
    calls: after.length - progressUpdates,
    progressUpdates,
    failed: messageCounts(bot.db, run.id).failed,
    close: async () => {
      await bot.close();
      await sink.close();
      ws.cleanup();
    },
  };
}

export async function benchSlack(report: Report, fmt: (n: number, digits?: number) => string): Promise<void> {
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await approvedRun(50, 0);
    latencies.push(r.clickToUpdateMs);
    await r.close();
  }
  latencies.sort((a, b) => a - b);
  report(
    'Slack: approve click → first chat.update (5 runs, loopback)',
    `median ${fmt(latencies[2]!)} ms, max ${fmt(latencies[4]!)} ms`,
    'goal <= 500 ms',
  );
  for (const failures of [0, 10, 100, 1000]) {
    const r = await approvedRun(Math.max(failures + 20, 50), failures);
    report(
      `Slack: calls per run with ${fmt(r.failed)} failures`,
      `${r.calls} calls + ${r.progressUpdates} progress updates`,
      'goal <= 30 + progress; replies capped at 20, then 1 summary + 1 CSV',
    );
    await r.close();
  }
}
