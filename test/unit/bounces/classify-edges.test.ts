/**
 * classifyMessage beyond the saved fixtures: each reference route on its own, the options that
 * switch routes off, and untrusted input (too large, malformed, hostile) that must never throw.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../../src/bounces/classify.js';
import { FIXTURE_RUN_ID, fixtureMessageId, fixtureToken } from '../../support/bounce-fixtures.js';

const fixture = (name: string): Buffer => readFileSync(resolve(import.meta.dirname, '../../fixtures/bounces', name));
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

/** A minimal RFC 3464 report; each part of it can be swapped. */
function dsn(parts: { to?: string; recipient?: string[]; returned?: string[]; extraHeaders?: string[] }): Buffer {
  return crlf([
    'From: MAILER-DAEMON@mx.example.org',
    `To: ${parts.to ?? 'bounces@study.test'}`,
    'Subject: Undelivered Mail Returned to Sender',
    ...(parts.extraHeaders ?? []),
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    ...(parts.recipient ?? ['Final-Recipient: rfc822; jo@example.org', 'Action: failed', 'Status: 5.1.1']),
    '',
    '--b',
    'Content-Type: text/rfc822-headers',
    '',
    ...(parts.returned ?? ['Message-ID: <someone-else@example.org>']),
    '',
    '--b--',
    '',
  ]);
}

describe('the reference to our message, route by route', () => {
  const token = fixtureToken('S-0101');

  it("the envelope tag alone (returned headers are someone else's or missing)", async () => {
    const got = await classifyMessage(dsn({ to: `bounces+${token}@study.test` }), { returnPathLocal: 'bounces' });
    expect(got).toMatchObject({ kind: 'bounce', severity: 'hard' });
    expect(got.kind === 'bounce' ? got.ref : undefined).toEqual({ returnPathToken: token });
  });

  it('the tag in Delivered-To or X-Original-To when To shows something else', async () => {
    const message = dsn({
      to: 'undisclosed-recipients:;',
      extraHeaders: [`X-Original-To: bounces+${token}@study.test`],
    });
    expect(await classifyMessage(message, { returnPathLocal: 'bounces' })).toMatchObject({
      ref: { returnPathToken: token },
    });
  });

  it('the returned Message-ID alone', async () => {
    const got = await classifyMessage(dsn({ returned: [`Message-ID: <${fixtureMessageId('S-0101')}>`] }), {});
    expect(got).toMatchObject({
      kind: 'bounce',
      ref: { messageId: fixtureMessageId('S-0101'), runId: FIXTURE_RUN_ID },
    });
  });

  it('the returned X-Mail-Updater-Run alone', async () => {
    const got = await classifyMessage(dsn({ returned: [`X-Mail-Updater-Run: ${FIXTURE_RUN_ID}`] }), {});
    expect(got).toEqual(expect.objectContaining({ kind: 'bounce', ref: { runId: FIXTURE_RUN_ID } }));
  });

  it('no tag route without returnPathLocal, and none for another local part', async () => {
    const message = fixture('postfix-unknown-user.eml');
    const withoutLocal = await classifyMessage(message, {});
    expect(withoutLocal).toMatchObject({ kind: 'bounce', ref: { messageId: fixtureMessageId('S-0101') } });
    expect(withoutLocal.kind === 'bounce' && withoutLocal.ref.returnPathToken).toBeUndefined();
    const otherLocal = await classifyMessage(message, { returnPathLocal: 'returns' });
    expect(otherLocal.kind === 'bounce' && otherLocal.ref.returnPathToken).toBeUndefined();
  });

  it('a tag that is not a token of ours, and a Message-ID of another shape, are no reference', async () => {
    const message = dsn({ to: 'bounces+abc123@study.test', returned: ['Message-ID: <CAF+x.y@mail.example.org>'] });
    expect(await classifyMessage(message, { returnPathLocal: 'bounces' })).toEqual({
      kind: 'not_ours',
      reason: 'no_reference',
    });
  });
});

describe('what is and is not a bounce', () => {
  it('a report given up after temporary failures (failed + 4.4.7) is soft, with action failed', async () => {
    const got = await classifyMessage(
      dsn({
        recipient: ['Final-Recipient: rfc822; jo@example.org', 'Action: failed', 'Status: 4.4.7'],
        returned: [`Message-ID: <${fixtureMessageId('S-0101')}>`],
      }),
      {},
    );
    expect(got).toMatchObject({ kind: 'bounce', severity: 'soft', action: 'failed', status: '4.4.7' });
  });

  it('an auto-reply with nothing of ours in it is not ours', async () => {
    const message = crlf([
      'From: a@example.org',
      'Subject: Out of Office',
      'Auto-Submitted: auto-replied',
      '',
      'Away.',
    ]);
    expect(await classifyMessage(message, {})).toEqual({ kind: 'not_ours', reason: 'no_reference' });
  });

  it('a person replying "your message was not delivered" is no bounce and no auto-reply', async () => {
    const message = crlf([
      'From: Sam <sam@example.org>',
      'Subject: Re: Your study update',
      `In-Reply-To: <${fixtureMessageId('S-0101')}>`,
      '',
      'Your message was not delivered to my old address, please use this one.',
    ]);
    expect(await classifyMessage(message, {})).toEqual({ kind: 'not_ours', reason: 'unrelated' });
  });

  it('an "unsubscribe" subject without a token of the right shape is not an unsubscribe', async () => {
    const message = crlf(['From: x@example.org', 'To: study@study.test', 'Subject: unsubscribe me please', '', '']);
    expect(await classifyMessage(message, { unsubscribeLocal: 'study' })).toEqual({
      kind: 'not_ours',
      reason: 'unrelated',
    });
  });
});

describe('untrusted input is bounded', () => {
  it('a message over maxBytes is refused before parsing', async () => {
    const message = fixture('postfix-unknown-user.eml');
    expect(await classifyMessage(message, { maxBytes: message.length - 1 })).toEqual({
      kind: 'not_ours',
      reason: 'too_large',
    });
    const huge = Buffer.concat([message, Buffer.alloc(1024 * 1024, 'a')]);
    expect(await classifyMessage(huge, {})).toEqual({ kind: 'not_ours', reason: 'too_large' });
  });

  it('a long diagnostic full of addresses is cut to 500 characters, every address masked', async () => {
    const addresses = Array.from({ length: 80 }, (_, i) => `person${i}@example.org`).join(', ');
    const got = await classifyMessage(
      dsn({
        recipient: [
          'Final-Recipient: rfc822; jo@example.org',
          'Action: failed',
          'Status: 5.1.1',
          `Diagnostic-Code: smtp; 550 5.1.1 <jo@localhost> <jo@example.org> ${addresses}`,
        ],
        returned: [`Message-ID: <${fixtureMessageId('S-0101')}>`],
      }),
      {},
    );
    expect(got.kind).toBe('bounce');
    const diagnostic = got.kind === 'bounce' ? (got.diagnostic ?? '') : '';
    expect(diagnostic.length).toBeLessThanOrEqual(500);
    expect(diagnostic).toMatch(/^550 5\.1\.1 <j\*\*\*@localhost> <j\*\*\*@example\.org> p\*\*\*@example\.org/);
    expect(diagnostic).not.toMatch(/(?<!\*\*\*)@/);
  });

  const unrelated = { kind: 'not_ours', reason: 'unrelated' };
  const hostile: [string, Buffer, object][] = [
    ['an empty message', Buffer.alloc(0), unrelated],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), unrelated],
    // The report part is gone, the notice text and the tag are still there: still a bounce.
    [
      'a DSN cut off half way',
      fixture('postfix-unknown-user.eml').subarray(0, 1400),
      { kind: 'bounce', format: 'heuristic', severity: 'hard', ref: { returnPathToken: fixtureToken('S-0101') } },
    ],
    ['a multipart with no boundary parameter', crlf(['Content-Type: multipart/report', '', '--x', 'junk']), unrelated],
    [
      'a report part that is binary',
      crlf([
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
        '',
        '--b',
        'Content-Type: message/delivery-status',
        'Content-Transfer-Encoding: base64',
        '',
        '////AAAA////',
        '--b--',
      ]),
      unrelated,
    ],
    [
      'a thousand nested parts',
      crlf([
        'Content-Type: multipart/mixed; boundary=b0',
        '',
        ...Array.from({ length: 1000 }, (_, i) => `--b${i}\r\nContent-Type: multipart/mixed; boundary=b${i + 1}\r\n`),
      ]),
      { kind: 'not_ours', reason: 'malformed' },
    ],
    ['a header line of 200 KB', crlf([`Subject: ${'x'.repeat(200_000)}`, '', 'body']), unrelated],
  ];

  for (const [what, raw, want] of hostile) {
    it(`${what}: classified without throwing`, async () => {
      const got = await classifyMessage(raw, { returnPathLocal: 'bounces', unsubscribeLocal: 'study' });
      expect(got).toMatchObject(want);
    });
  }

  it('something mailparser refuses outright is "malformed"', async () => {
    const tooManyParts = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      ...Array.from({ length: 150 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx'),
      '--b--',
    ]);
    expect(await classifyMessage(tooManyParts, {})).toEqual({ kind: 'not_ours', reason: 'malformed' });
  });
});
