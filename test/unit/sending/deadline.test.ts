import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { sendDeadlinePassed } from '../../../src/sending/deadline.js';

describe('the send deadline (missed-schedule policy)', () => {
  const config = loadConfig({ STUDY_TZ: 'Europe/London', SEND_DEADLINE: '21:00' });

  it("allows D's run on D+1 before the deadline, local time", () => {
    expect(sendDeadlinePassed(config, '2026-11-23', new Date('2026-11-24T09:00:00Z'))).toBe(false);
    expect(sendDeadlinePassed(config, '2026-11-23', new Date('2026-11-24T20:59:00Z'))).toBe(false);
  });

  it('refuses from the deadline on, and on any later day', () => {
    expect(sendDeadlinePassed(config, '2026-11-23', new Date('2026-11-24T21:00:00Z'))).toBe(true);
    expect(sendDeadlinePassed(config, '2026-11-23', new Date('2026-11-25T08:00:00Z'))).toBe(true);
  });

  it('counts the deadline in the study time zone, not UTC', () => {
    const newYork = loadConfig({ STUDY_TZ: 'America/New_York', SEND_DEADLINE: '21:00' });
    // 01:30 UTC on the 25th is 20:30 on the 24th in New York: still before the deadline.
    expect(sendDeadlinePassed(newYork, '2026-11-23', new Date('2026-11-25T01:30:00Z'))).toBe(false);
    expect(sendDeadlinePassed(newYork, '2026-11-23', new Date('2026-11-25T02:30:00Z'))).toBe(true);
  });
});
