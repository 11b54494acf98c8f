import { App, LogLevel } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { SlackPoster } from '../../../src/slack/poster.js';
import { type SlackStandIn, startSlackStandIn } from '../../support/slack-stand-in.js';

let slack: SlackStandIn | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

function poster(standIn: SlackStandIn, postIntervalMs: number): SlackPoster {
  const app = new App({
    token: 'xoxb-test',
    signingSecret: 'x',
    clientOptions: { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR },
    logLevel: LogLevel.ERROR,
  });
  return new SlackPoster(app.client, silentLogger(), { postIntervalMs });
}

describe('SlackPoster', () => {
  it('spaces posts to one channel (Slack allows about one a second) but not across channels', async () => {
    slack = await startSlackStandIn();
    const p = poster(slack, 150);
    await Promise.all([
      p.post('C1', { text: 'one' }),
      p.post('C1', { text: 'two' }),
      p.post('C1', { text: 'three' }),
      p.post('C2', { text: 'other channel' }),
    ]);
    const c1 = slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C1');
    expect(c1.map((c) => c.args.text)).toEqual(['one', 'two', 'three']);
    expect(c1[1]!.at - c1[0]!.at).toBeGreaterThanOrEqual(140);
    expect(c1[2]!.at - c1[1]!.at).toBeGreaterThanOrEqual(140);
    const c2 = slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'C2')!;
    expect(c2.at - c1[0]!.at).toBeLessThan(140);
  });

  it('masks any address in the text it posts, whoever built it', async () => {
    slack = await startSlackStandIn();
    await poster(slack, 0).post('C1', { text: 'bounce from jo.smith@example.org' });
    expect(slack.callsOf('chat.postMessage')[0]!.args.text).toBe('bounce from j***@example.org');
  });

  it('an ephemeral reply Slack refuses is logged, not thrown into the click handler', async () => {
    slack = await startSlackStandIn();
    slack.failWith('chat.postEphemeral', 'user_not_in_channel');
    await expect(poster(slack, 0).ephemeral('C1', 'U1', 'no')).resolves.toBeUndefined();
    expect(slack.calls.filter((c) => c.method === 'chat.postEphemeral')).toHaveLength(1);
  });
});

describe('SlackPoster channel errors', () => {
  it('turns not_in_channel into what to do', async () => {
    slack = await startSlackStandIn();
    slack.failWith('chat.postMessage', 'not_in_channel');
    await expect(poster(slack, 0).post('C1', { text: 'hello' })).rejects.toThrow(
      'The bot is not in the channel C1: invite it there (/invite @mail-updater)',
    );
  });
});
