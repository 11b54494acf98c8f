import { afterEach, describe, expect, it } from 'vitest';
import { runSyncJob } from '../../src/slack/sync-job.js';
import {
  enrolment,
  type QualtricsStandIn,
  qualtricsEnv,
  startQualtricsStandIn,
} from '../support/qualtrics-stand-in.js';
import { useTestResources } from '../support/resources.js';
import { type BotHarness, OPERATOR, startBot } from '../support/slack-bot.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
let qualtrics: QualtricsStandIn | undefined;
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
  await qualtrics?.close();
  qualtrics = undefined;
});

async function botWithQualtrics(env: Record<string, string> = {}): Promise<BotHarness> {
  study.ws = makeWorkspace({ participants: 6 });
  qualtrics = await startQualtricsStandIn([
    enrolment('n1', 'Q1001', 'new.person@example.org', 'Nova'),
    enrolment('n2', 'Q1002', 'broken-address', 'Bad'),
  ]);
  const bot = await startBot(study.ws, { ...qualtricsEnv(qualtrics.baseUrl), ...env });
  bots.push(bot);
  return bot;
}

describe('Qualtrics sync in Slack', () => {
  it('/mail-sync --dry-run answers ephemerally with DIDs and reasons, never addresses', async () => {
    const bot = await botWithQualtrics();
    await bot.driver.command('/mail-sync', OPERATOR, '--dry-run');
    const answer = await bot.slack.waitFor(
      () => bot.slack.responses.find((r) => String(r.body.text).includes('Qualtrics sync (dry run')),
      15_000,
      'the sync answer',
    );
    expect(answer.body.response_type).toBe('ephemeral');
    expect(String(answer.body.text)).toContain('Q1001');
    expect(String(answer.body.text)).toContain('email_invalid');
    expect(bot.slack.everything()).not.toContain('new.person@example.org');
    expect(bot.slack.everything()).not.toContain('broken-address');
  });

  it('the scheduled sync posts its result to the channel; a failing one is an alert, once a day', async () => {
    const bot = await botWithQualtrics();
    expect(await runSyncJob(bot.app.bot)).toBe('posted');
    const result = bot.slack.callsOf('chat.postMessage')[0]!;
    expect(String(result.args.text)).toMatch(
      /Qualtrics sync\*: 1 new participant\(s\) \(Q1001\), 0 unchanged, 0 conflict\(s\), 1 rejected/,
    );

    qualtrics!.behaviour.exportStatus = 'failed';
    expect(await runSyncJob(bot.app.bot)).toBe('alerted');
    expect(await runSyncJob(bot.app.bot)).toBe('alerted');
    const alerts = bot.slack
      .callsOf('chat.postMessage')
      .filter((c) => String(c.args.text).includes('Qualtrics sync failed'));
    expect(alerts).toHaveLength(1);
    expect(String(alerts[0]!.args.text)).toContain('roster was not changed');
  });
});
