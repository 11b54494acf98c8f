import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { decisionRefusal } from '../../../src/slack/decision-policy.js';
import type { RunRow } from '../../../src/storage/runs.js';

const config = loadConfig({
  SLACK_APPROVER_IDS: 'UAPPROVE1,UAPPROVE2',
  STUDY_TZ: 'Europe/London',
  SEND_DEADLINE: '21:00',
});
const at = (iso: string): Date => new Date(iso);
const run = (over: Partial<RunRow> = {}): RunRow =>
  ({
    id: 'r1',
    report_date: '2026-11-23',
    state: 'planned',
    requested_by: 'slack:UAPPROVE1',
    decided_by: null,
    decided_at: null,
    decision_reason: null,
    superseded_by: null,
    expires_at: '2026-11-24T20:00:00Z',
    ...over,
  }) as RunRow;
const morning = at('2026-11-24T09:30:00Z');

describe('who may decide on a run, and when', () => {
  it('lets another approver approve a fresh request in time', () => {
    expect(decisionRefusal(config, run(), 'UAPPROVE2', 'approve', morning)).toBeUndefined();
  });

  it.each([
    ['a non-approver', run(), 'UOTHER', 'approve', morning, /only the study's approvers/],
    ['the requester (self-approval)', run(), 'UAPPROVE1', 'approve', morning, /someone else must approve/],
    [
      'a superseded run',
      run({ state: 'superseded', superseded_by: 'r2' }),
      'UAPPROVE2',
      'approve',
      morning,
      /superseded by a newer dry run \(r2\)/,
    ],
    [
      'an approved run (second click)',
      run({ decided_by: 'slack:UAPPROVE2', decided_at: '2026-11-24T09:12:00Z' }),
      'UAPPROVE2',
      'approve',
      morning,
      /already approved by <@UAPPROVE2>/,
    ],
    [
      'a rejected run',
      run({ state: 'rejected', decided_by: 'slack:UAPPROVE2', decision_reason: 'typo' }),
      'UAPPROVE2',
      'approve',
      morning,
      /already rejected .*"typo"/,
    ],
    ['an expired request', run(), 'UAPPROVE2', 'approve', at('2026-11-24T20:30:00Z'), /expired at/],
    [
      'after SEND_DEADLINE',
      run({ expires_at: '2026-11-25T12:00:00Z' }),
      'UAPPROVE2',
      'approve',
      at('2026-11-24T21:05:00Z'),
      /past SEND_DEADLINE \(21:00 Europe\/London\)/,
    ],
    ['a blocked run', run({ state: 'blocked' }), 'UAPPROVE2', 'approve', morning, /blocked by validation errors/],
    ['a missing run', undefined, 'UAPPROVE2', 'approve', morning, /no longer matches a run/],
  ] as const)('refuses %s with a reason', (_label, r, user, kind, now, reason) => {
    expect(decisionRefusal(config, r, user, kind, now)).toMatch(reason);
  });

  it('lets the requester reject their own run, even after the deadline', () => {
    expect(decisionRefusal(config, run(), 'UAPPROVE1', 'reject', at('2026-11-24T22:00:00Z'))).toBeUndefined();
  });

  it('allows self-approval when ALLOW_SELF_APPROVAL is set', () => {
    const permissive = loadConfig({ SLACK_APPROVER_IDS: 'UAPPROVE1', ALLOW_SELF_APPROVAL: 'true' });
    expect(decisionRefusal(permissive, run(), 'UAPPROVE1', 'approve', morning)).toBeUndefined();
  });
});
