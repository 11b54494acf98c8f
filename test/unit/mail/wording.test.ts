import { describe, expect, it } from 'vitest';
import { formatLocal, localTime } from '../../../src/mail/wording.js';

const ZONES = [
  'America/New_York',
  'America/St_Johns', // -3:30, DST at 02:00 local
  'Australia/Lord_Howe', // +10:30 / +11: a 30-minute DST shift
  'Asia/Kathmandu', // +5:45
  'Europe/London',
  'Asia/Tokyo',
  'UTC',
];

describe('localTime: the participant-zone time, a quarter hour formatted by ICU once', () => {
  it('says exactly what ICU says, minute by minute across DST changes and odd offsets', () => {
    // The hours around each 2026 change in these zones, every minute; plus a spread over the year.
    const moments: number[] = [];
    for (const change of [
      '2026-03-08T07:00:00Z', // New York spring forward
      '2026-11-01T06:00:00Z', // New York fall back
      '2026-03-08T05:30:00Z', // St John's spring forward
      '2026-11-01T04:30:00Z', // St John's fall back
      '2026-04-04T15:00:00Z', // Lord Howe
      '2026-10-03T15:30:00Z', // Lord Howe
      '2026-03-29T01:00:00Z', // London
      '2026-10-25T01:00:00Z', // London
    ]) {
      const at = Date.parse(change);
      for (let m = -90; m <= 90; m++) moments.push(at + m * 60_000 + 17_000);
    }
    for (let i = 0; i < 2000; i++)
      moments.push(Date.UTC(2026, 0, 1) + Math.floor(((i * 7919) % 2000) * 15_779.1) * 1000);
    let checked = 0;
    for (const zone of ZONES) {
      for (const ms of moments) {
        const at = new Date(ms);
        expect(localTime(at, zone), `${zone} ${at.toISOString()}`).toBe(formatLocal(at, zone));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20_000);
    expect(localTime(new Date('2026-11-30T23:38:00Z'), 'America/New_York')).toBe('30 Nov, 18:38 EST');
  });
});
