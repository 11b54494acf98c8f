import { describe, expect, it } from 'vitest';
import { enhancedStatus, parseDeliveryStatus, severityOf } from '../../../src/bounces/delivery-status.js';

const report = [
  'Reporting-MTA: dns; mx.example.org',
  'Arrival-Date: Mon, 30 Nov 2026 09:00:03 +0000',
  '',
  'Final-Recipient: rfc822; first@example.org',
  'Action: delivered',
  'Status: 2.0.0',
  '',
  'Original-Recipient: rfc822;second@example.org',
  'Final-Recipient: rfc822; alias-target@example.org',
  'Action: Failed',
  'Status: 5.2.2 (mailbox full)',
  'Diagnostic-Code: smtp; 552 5.2.2 <second@example.org>: mailbox',
  '    over quota',
  '',
].join('\r\n');

describe('parseDeliveryStatus', () => {
  it('reads the per-message fields and one block per recipient, unfolding long fields', () => {
    const parsed = parseDeliveryStatus(report);
    expect(parsed.reportingMta).toBe('mx.example.org');
    expect(parsed.arrivalDate).toBe('Mon, 30 Nov 2026 09:00:03 +0000');
    expect(parsed.recipients).toEqual([
      { address: 'first@example.org', action: 'delivered', status: '2.0.0', diagnostic: undefined },
      {
        // Original-Recipient wins: it is the address we sent to, before any alias expansion.
        address: 'second@example.org',
        action: 'failed',
        status: '5.2.2',
        diagnostic: '552 5.2.2 <second@example.org>: mailbox over quota',
      },
    ]);
  });

  it('survives junk: lines that are no fields, no blank line after the per-message block, nothing at all', () => {
    expect(parseDeliveryStatus('').recipients).toEqual([]);
    expect(parseDeliveryStatus('not a field\n\n: no name\nAction: failed\n').recipients).toEqual([
      { address: undefined, action: 'failed', status: undefined, diagnostic: undefined },
    ]);
  });
});

describe('enhancedStatus', () => {
  it('keeps the code and drops comments; refuses what is no RFC 3463 code', () => {
    expect(enhancedStatus('5.1.1 (bad destination mailbox address)')).toBe('5.1.1');
    expect(enhancedStatus(' 4.4.7')).toBe('4.4.7');
    expect(enhancedStatus('5.1.10')).toBe('5.1.10');
    expect(enhancedStatus('550')).toBeUndefined();
    expect(enhancedStatus('3.1.1')).toBeUndefined();
    expect(enhancedStatus(undefined)).toBeUndefined();
  });
});

describe('severityOf', () => {
  const r = (action: string | undefined, status: string | undefined) => ({
    address: 'x@example.org',
    action,
    status,
    diagnostic: undefined,
  });

  it('5.x.x is hard, 4.x.x soft; delivered, relayed and expanded are no failure at all', () => {
    expect(severityOf(r('failed', '5.1.1'))).toBe('hard');
    expect(severityOf(r('delayed', '4.4.1'))).toBe('soft');
    expect(severityOf(r('delivered', '2.0.0'))).toBeUndefined();
    expect(severityOf(r('relayed', '2.0.0'))).toBeUndefined();
    expect(severityOf(r('expanded', '2.0.0'))).toBeUndefined();
  });

  it('a message given up after temporary failures (failed + 4.x.x) is soft: the address is not known dead', () => {
    expect(severityOf(r('failed', '4.4.7'))).toBe('soft');
  });

  it('without a status the action decides', () => {
    expect(severityOf(r('failed', undefined))).toBe('hard');
    expect(severityOf(r('delayed', undefined))).toBe('soft');
    expect(severityOf(r(undefined, undefined))).toBeUndefined();
  });
});
