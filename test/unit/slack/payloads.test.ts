import { describe, expect, it } from 'vitest';
import { parseJsonPayload, parseRunId, runFormMetadataSchema, ticketRefSchema } from '../../../src/slack/payloads.js';

describe('button values and modal metadata', () => {
  it('reads back what the bot wrote', () => {
    expect(parseJsonPayload(ticketRefSchema, JSON.stringify({ runId: 'r1', did: 'D1' }))).toEqual({
      runId: 'r1',
      did: 'D1',
    });
    expect(parseJsonPayload(runFormMetadataSchema, '{"runId":"r1","channel":"C1"}')).toEqual({
      runId: 'r1',
      channel: 'C1',
    });
    expect(parseRunId('2026-11-30-abc')).toBe('2026-11-30-abc');
  });

  it('refuses anything else instead of throwing', () => {
    for (const raw of [
      undefined,
      '',
      'not json',
      '{}',
      '{"runId":1,"did":"D1"}',
      '[]',
      'null',
      `"${'x'.repeat(4000)}"`,
    ])
      expect(parseJsonPayload(ticketRefSchema, raw), String(raw)).toBeUndefined();
    expect(parseJsonPayload(runFormMetadataSchema, '{"runId":"r1"}')).toBeUndefined();
    expect(parseRunId('')).toBeUndefined();
    expect(parseRunId('x'.repeat(101))).toBeUndefined();
  });
});
