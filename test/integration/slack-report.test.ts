import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { postReport } from '../../src/slack/report-job.js';
import { useTestResources } from '../support/resources.js';
import { type BotHarness, CHANNEL, OPERATOR, startBot } from '../support/slack-bot.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

/** The fixture roster's DIDs, and its names and addresses (those at least 4 characters long). */
function participantValues(rosterPath: string): { dids: string[]; personal: string[] } {
  const rows = parse(readFileSync(rosterPath), { columns: true }) as Record<string, string>[];
  const personal = rows.flatMap((r) => [r.email!, r.first_name!, r.last_name!]);
  return {
    dids: rows.map((r) => r.did!),
    personal: [...new Set(personal.filter((v) => v.trim().length >= 4))],
  };
}

describe('/mail-report and the scheduled report', () => {
  it('uploads a PNG with alt text to the channel; no DID, name or address in any Slack call', async () => {
    study.ws = makeWorkspace({ participants: 12 });
    const b = await startBot(study.ws);
    bots.push(b);
    await b.driver.command('/mail-dry-run', OPERATOR);
    await b.slack.waitFor(() => b.requests()[0], 20_000, 'the request');

    await b.driver.command('/mail-report', OPERATOR, '3');
    const reply = await b.slack.waitFor(
      () => b.slack.responses.find((r) => String(r.body.text).includes('Posted the report')),
      30_000,
      'the reply',
    );
    expect(String(reply.body.text)).toContain(`<#${CHANNEL}>`);
    const complete = b.slack.callsOf('files.completeUploadExternal');
    expect(complete).toHaveLength(1);
    expect(complete[0]!.args.channel_id).toBe(CHANNEL);
    const urlCall = b.slack.callsOf('files.getUploadURLExternal')[0]!;
    expect(String(urlCall.args.alt_text)).toMatch(/\d/);
    expect(String(urlCall.args.filename)).toMatch(/\.png$/);
    const png = PNG.sync.read(b.slack.uploads[0]!.bytes);
    expect(png.width).toBeGreaterThan(200);
    expect(png.height).toBeGreaterThan(100);

    // The schedule's path: the same upload, for the default two weeks.
    const scheduled = await postReport(b.app.bot, 'schedule');
    expect(scheduled.days.length).toBeGreaterThan(0);
    expect(b.slack.uploads).toHaveLength(2);
    PNG.sync.read(b.slack.uploads[1]!.bytes);

    const everything = JSON.stringify([b.slack.calls, b.slack.responses]);
    const { dids, personal } = participantValues(study.ws.fixture.rosterPath);
    expect(dids).toHaveLength(12);
    expect(personal.length).toBeGreaterThan(12);
    const reportCalls = JSON.stringify([
      b.slack.calls.filter((c) => c.method.startsWith('files.')),
      b.slack.responses.filter((r) => String(r.body.text).includes('Posted the report')),
    ]);
    for (const value of [...dids, ...personal]) expect(reportCalls).not.toContain(value);
    // Addresses and names never reach Slack at all (DIDs may, in the approval request).
    for (const value of personal) expect(everything).not.toContain(value);
  }, 60_000);
});
