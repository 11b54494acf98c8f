/**
 * The bot under test, in-process, wired to a Slack stand-in, an SMTP sink and a throw-away
 * workspace; the driver plays Slack's side over real HTTP.
 */
import type { Env } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { currentRun, getRun, type RunRow } from '../../src/storage/runs.js';
import { openStateDb, type StateDb } from '../../src/storage/state-db.js';
import { SlackDriver } from './slack-driver.js';
import { type SlackCall, type SlackStandIn, startSlackStandIn } from './slack-stand-in.js';
import type { Workspace } from './workspace.js';

export const SIGNING_SECRET = 'test-signing-secret-8f3a';
export const CHANNEL = 'C0STUDY';
export const APPROVER_A = 'U0APPROVA';
export const APPROVER_B = 'U0APPROVB';
export const OPERATOR = 'U0OPERATOR';
export const OUTSIDER = 'U0OUTSIDER';

export interface BotHarness {
  slack: SlackStandIn;
  driver: SlackDriver;
  app: SlackApp;
  db: StateDb;
  port: number;
  /** The approval request posted for a run (top-level chat.postMessage with an approve button). */
  requests(): SlackCall[];
  run(runId: string): RunRow;
  /** /mail-dry-run by `requester`, then waits for the request: the run and the message's ts. */
  dryRun(requester: string): Promise<{ runId: string; ts: string }>;
  /** Clicks Approve as `approver` and waits until the run is sent to the end. */
  approveAndWait(runId: string, ts: string, approver: string): Promise<void>;
  close(): Promise<void>;
}

export function slackEnv(apiUrl: string, extra: Env = {}): Env {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL_ID: CHANNEL,
    SLACK_APPROVER_IDS: `${APPROVER_A},${APPROVER_B}`,
    SLACK_OPERATOR_IDS: `${APPROVER_A},${APPROVER_B},${OPERATOR}`,
    SLACK_API_URL: apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ...extra,
  };
}

export async function startBot(
  ws: Workspace,
  env: Env = {},
  options: { postIntervalMs?: number; progressIntervalMs?: number; slackCallBudgetMs?: number; now?: () => Date } = {},
): Promise<BotHarness> {
  const slack = await startSlackStandIn();
  const config = ws.config(slackEnv(slack.apiUrl, env));
  const db = openStateDb(config.STATE_DB_PATH);
  const app = createSlackApp({
    config,
    logger: silentLogger(),
    db,
    postIntervalMs: options.postIntervalMs ?? 5,
    progressIntervalMs: options.progressIntervalMs ?? 200,
    slackSync: { pollMs: 200, budgetMs: 3000 },
    slackCallBudgetMs: options.slackCallBudgetMs ?? 3000,
    ...(options.now ? { now: options.now } : {}),
  });
  const port = await app.start();
  const driver = new SlackDriver(`http://127.0.0.1:${port}`, SIGNING_SECRET, slack.url, CHANNEL);
  const run = (runId: string): RunRow => getRun(db, runId)!;
  return {
    slack,
    driver,
    app,
    db,
    port,
    requests: () =>
      slack
        .callsOf('chat.postMessage')
        .filter((c) => c.args.thread_ts === undefined && JSON.stringify(c.args.blocks ?? '').includes('"approve_run"')),
    run,
    async dryRun(requester) {
      const before = currentRun(db, ws.reportDate)?.id;
      const ack = await driver.command('/mail-dry-run', requester);
      if (ack.status !== 200) throw new Error(`/mail-dry-run answered HTTP ${ack.status}`);
      const current = await slack.waitFor(
        () => {
          const latest = currentRun(db, ws.reportDate);
          return latest !== undefined && latest.id !== before && latest.slack_ts !== null ? latest : undefined;
        },
        60_000,
        'the approval request',
      );
      return { runId: current.id, ts: current.slack_ts! };
    },
    async approveAndWait(runId, ts, approver) {
      await driver.click('approve_run', runId, approver, ts);
      await slack.waitFor(() => run(runId).state === 'done', 120_000, 'the send to finish');
    },
    async close() {
      await app.stop();
      await slack.close();
      db.close();
    },
  };
}

/** Texts of every block of a Slack call, joined: what a person would read. */
export function textOf(call: SlackCall | undefined): string {
  return call === undefined ? '' : `${String(call.args.text ?? '')}\n${JSON.stringify(call.args.blocks ?? [])}`;
}
