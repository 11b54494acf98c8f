import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { status } from '../../commands/status.js';
import { validateParticipants } from '../../commands/validate-participants.js';
import { execute } from '../../src/command.js';
import { runHealthChecks } from '../../src/slack/alerts.js';
import { testContext } from '../support/context.js';
import { useTestResources } from '../support/resources.js';
import { type BotHarness, startBot } from '../support/slack-bot.js';
import { makeWorkspace } from '../support/workspace.js';

const study = useTestResources();
const bots: BotHarness[] = [];
afterEach(async () => {
  while (bots.length > 0) await bots.pop()!.close();
});

const DAY = 86_400_000;

describe('onboarding reminders', () => {
  it('lists an active participant with no device data after ONBOARDING_GRACE_DAYS, once, by DID only', async () => {
    study.ws = makeWorkspace({ participants: 10 });
    const rows = parse(readFileSync(study.ws.fixture.rosterPath), { columns: true }) as Record<string, string>[];
    const late = {
      ...rows[0]!,
      did: 'P9001',
      email: 'newcomer.person@example.org',
      first_name: 'Newcomer',
      status: 'active',
    };
    const fresh = {
      ...rows[0]!,
      did: 'P9002',
      email: 'fresher.person@example.org',
      first_name: 'Fresher',
      status: 'active',
    };
    study.ws.writeRoster([...rows, late]);

    // Validation four days ago first sees P9001; two days later it first sees P9002.
    const early = testContext(study.ws, {}, { now: () => new Date(Date.now() - 4 * DAY) });
    await execute(validateParticipants, early.ctx, { reportDate: study.ws.reportDate });
    early.close();
    study.ws.writeRoster([...rows, late, fresh]);
    const later = testContext(study.ws, {}, { now: () => new Date(Date.now() - 2 * DAY) });
    await execute(validateParticipants, later.ctx, { reportDate: study.ws.reportDate });
    later.close();

    const b = await startBot(study.ws);
    bots.push(b);
    await runHealthChecks(b.app.bot);
    const posts = () => b.slack.callsOf('chat.postMessage').filter((c) => String(c.args.text).includes('Onboarding'));
    expect(posts()).toHaveLength(1);
    const text = String(posts()[0]!.args.text);
    expect(text).toContain('P9001: enrolled 4 days ago, no device data yet: check onboarding');
    // Within the grace period, and participants with data, are not listed.
    expect(text).not.toContain('P9002');
    for (const r of rows) if (r.status === 'active' && r.did?.startsWith('P0')) expect(text).not.toContain(`${r.did}:`);
    const everything = JSON.stringify(b.slack.calls);
    for (const value of ['newcomer.person@example.org', 'Newcomer', 'Fresher']) expect(everything).not.toContain(value);

    // Once per DID, ever: the next health checks do not list it again.
    await runHealthChecks(b.app.bot);
    await runHealthChecks(b.app.bot);
    expect(posts()).toHaveLength(1);

    const s = testContext(study.ws);
    const out = await execute(status, s.ctx, { reportDate: study.ws.reportDate });
    s.close();
    const overdue = out.data.onboarding_overdue!;
    expect(overdue.map((o) => o.did)).toContain('P9001');
    expect(overdue.find((o) => o.did === 'P9001')).toMatchObject({ days: 4, reminded_at: expect.any(String) });
    expect(overdue.map((o) => o.did)).not.toContain('P9002');
  }, 60_000);
});
