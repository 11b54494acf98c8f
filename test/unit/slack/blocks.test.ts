import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { StoredSummary } from '../../../src/planning/plan.js';
import {
  type Block,
  codeBlock,
  listWithMore,
  MAX_BLOCKS,
  SECTION_TEXT_LIMIT,
  section,
  withinBlockLimit,
} from '../../../src/slack/blocks.js';
import { approvalBlocks } from '../../../src/slack/views/approval.js';
import type { RunRow } from '../../../src/storage/runs.js';

const sectionText = (b: Block): string => (b.type === 'section' && b.text ? b.text.text : '');

describe('Block Kit limits', () => {
  it('cuts long lists with "and N more" inside the section limit', () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) =>
        `• DID P${String(i).padStart(5, '0')}: a finding with a long explanation of what is wrong and how to fix it`,
    );
    const text = listWithMore(lines, 1000);
    expect(text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    const kept = text.split('\n').length - 1;
    expect(text).toMatch(new RegExp(`…and ${500 - kept} more$`));
    expect(listWithMore(lines.slice(0, 3), 10)).not.toContain('more');
    expect(listWithMore(lines, 5)).toContain('…and 495 more');
  });

  it('never lets a section or a code block exceed 3,000 characters', () => {
    expect(sectionText(section('x'.repeat(10_000))).length).toBe(SECTION_TEXT_LIMIT);
    expect(codeBlock('y'.repeat(10_000)).length).toBeLessThan(SECTION_TEXT_LIMIT);
  });

  it('keeps a message within 50 blocks, saying how many were left out', () => {
    const many = Array.from({ length: 80 }, (_, i) => section(`block ${i}`));
    const kept = withinBlockLimit(many);
    expect(kept).toHaveLength(MAX_BLOCKS);
    expect(JSON.stringify(kept.at(-1))).toContain('…and 31 more blocks');
  });

  it('masks addresses in any text on the way to Slack', () => {
    expect(sectionText(section('550 <jo.smith@example.org>: unknown'))).toBe('550 <j***@example.org>: unknown');
  });

  it('an approval request with a huge roster problem stays within every limit', () => {
    const config = loadConfig({});
    const summary: StoredSummary = {
      runId: 'r1',
      reportDate: '2026-11-23',
      state: 'planned',
      batchHash: 'a'.repeat(64),
      templateHash: 'b'.repeat(64),
      templateChanged: true,
      counts: { participants: 100_000, toSend: 90_000, skipped: 5_000, blocked: 5_000 },
      skippedByReason: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`reason_${i}`, i])),
      blockedByCode: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`code_${i}`, i])),
      validation: { errors: 5_000, warnings: 10 },
      findings: Array.from({ length: 20 }, (_, i) => ({
        severity: 'error' as const,
        scope: 'row' as const,
        code: 'email_invalid',
        message: 'The e-mail address is not valid. '.repeat(20),
        fix: 'Correct it.',
        row: i + 2,
        did: `P${i}`,
      })),
      findingsTotal: 5_000,
      redirectTo: 'test-inbox@example.org',
      mailFromSet: true,
      outboxDir: 'outbox',
      expiresAt: '2026-11-24T21:00:00Z',
      sample: { subject: 'Your update', text: 'z'.repeat(20_000) },
    };
    const run = {
      id: 'r1',
      report_date: '2026-11-23',
      requested_by: 'schedule',
      state: 'planned',
      batch_hash: summary.batchHash,
      expires_at: summary.expiresAt,
      redirect_to: summary.redirectTo,
      decided_by: null,
      decided_at: null,
      summary_json: JSON.stringify(summary),
    } as unknown as RunRow;
    const blocks = approvalBlocks(run, config);
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const b of blocks) expect(sectionText(b).length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    const all = JSON.stringify(blocks);
    expect(all).toContain('and 4980 more');
    expect(all).toContain('STAGING');
    expect(all).not.toContain('test-inbox@example.org');
  });
});

describe('App Home and the Slack API URL', () => {
  it('App Home names the next scheduled jobs', async () => {
    const { homeView } = await import('../../../src/slack/views/home.js');
    const view = homeView(
      {
        report_date: '2026-11-23',
        run: null,
        sending_now: null,
        smtp: null,
        last_sync: null,
        recent_runs: [],
        outcomes: [],
      },
      [
        { name: 'daily', at: new Date('2026-11-25T09:00:00Z') },
        { name: 'health', at: new Date('2026-11-24T20:00:00Z') },
      ],
      'UTC',
    );
    const text = JSON.stringify(view);
    expect(text).toContain('daily 2026-11-25 09:00 UTC');
    expect(text).toContain('health 2026-11-24 20:00 UTC');
    expect(text).toContain('not prepared yet');
  });

  it("an empty SLACK_API_URL means Slack's own; a given one gets the trailing slash the client needs", async () => {
    const { slackApiUrl } = await import('../../../src/slack/app.js');
    expect(slackApiUrl(loadConfig({ SLACK_API_URL: '' }))).toBeUndefined();
    expect(slackApiUrl(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:9/api' }))).toBe('http://127.0.0.1:9/api/');
  });
});
