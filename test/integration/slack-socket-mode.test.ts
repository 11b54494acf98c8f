import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { openStateDb, type StateDb } from '../../src/storage/state-db.js';
import { useTestResources } from '../support/resources.js';
import { CHANNEL, OPERATOR, slackEnv } from '../support/slack-bot.js';
import { type SlackStandIn, startSlackStandIn } from '../support/slack-stand-in.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
let slack: SlackStandIn | undefined;
let app: SlackApp | undefined;
let db: StateDb | undefined;
afterEach(async () => {
  await app?.stop();
  await slack?.close();
  db?.close();
  app = slack = db = undefined;
});

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('connects through apps.connections.open at SLACK_API_URL, acks a slash command over the socket, answers it, and serves /healthz', async () => {
    study.ws = makeWorkspace({ participants: 5 });
    slack = await startSlackStandIn();
    const config = study.ws.config({
      ...slackEnv(slack.apiUrl),
      SLACK_SIGNING_SECRET: '',
      SLACK_APP_TOKEN: 'xapp-1-test',
    });
    db = openStateDb(config.STATE_DB_PATH);
    app = createSlackApp({ config, logger: silentLogger(), db, postIntervalMs: 5 });
    const port = await app.start();
    await slack.waitFor(() => slack!.socket.connections > 0, 10_000, 'the socket connection');
    expect(slack.callsOf('apps.connections.open')).toHaveLength(1);

    slack.socket.send({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'x',
        team_id: 'T0STUDY',
        channel_id: CHANNEL,
        user_id: OPERATOR,
        command: '/mail-help',
        text: '',
        api_app_id: 'A0APP',
        response_url: `${slack.url}/response/socket`,
        trigger_id: 't1',
      },
    });
    const ack = await slack.waitFor(() => slack!.socket.acks.find((a) => a.envelope_id === 'env-1'), 10_000, 'the ack');
    expect(JSON.stringify(ack)).toContain('Running');
    const answer = await slack.waitFor(
      () => slack!.responses.find((r) => r.path === '/response/socket'),
      10_000,
      'the answer',
    );
    expect(String(answer.body.text)).toContain('/mail-dry-run');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^mail_updater_runs\{state="done"\} 0$/m);
  });
});
