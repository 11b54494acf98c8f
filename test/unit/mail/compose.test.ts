import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { isValidEmail, parseMailbox } from '../../../src/mail/address.js';
import { composeMessage, contentHash, foldHeader, withDate } from '../../../src/mail/compose.js';
import { formatMailbox } from '../../../src/mail/header-text.js';

const base = {
  from: { name: 'Study Team', address: 'study@example.org' },
  to: { name: 'Zoë Müller', address: 'zoe@example.org' },
  subject: 'Your update: 3 of 4 surveys',
  text: 'Hello Zoë,\nline two',
  html: '<p>Hello Zo&euml;</p>',
  messageId: 'run1.abc@example.org',
  date: new Date('2026-11-24T09:00:00Z'),
  boundary: 'mu_test',
};

describe('composing a message', () => {
  it('produces a message a MIME parser reads back exactly', async () => {
    const bytes = composeMessage({ ...base, replyTo: { address: 'help@example.org' } });
    const parsed = await simpleParser(bytes);
    expect(parsed.subject).toBe(base.subject);
    expect(parsed.from?.value).toEqual([{ name: 'Study Team', address: 'study@example.org' }]);
    expect(parsed.to).toMatchObject({ value: [{ name: 'Zoë Müller', address: 'zoe@example.org' }] });
    expect(parsed.replyTo?.value[0]?.address).toBe('help@example.org');
    expect(parsed.text?.trim()).toBe('Hello Zoë,\nline two');
    expect(parsed.html).toContain('<p>Hello Zo&euml;</p>');
    expect(parsed.messageId).toBe('<run1.abc@example.org>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('is deterministic: the same input gives the same bytes', () => {
    expect(composeMessage(base).equals(composeMessage(base))).toBe(true);
  });

  it('cannot be made to carry an extra header through a name or subject with CR/LF', async () => {
    const bytes = composeMessage({
      ...base,
      to: { name: 'Eve\r\nBcc: attacker@example.net', address: 'eve@example.org' },
      subject: 'Hi\r\nBcc: attacker@example.net\nX-Injected: 1',
    });
    const parsed = await simpleParser(bytes);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('x-injected')).toBe(false);
    expect(parsed.to).toMatchObject({ value: [{ address: 'eve@example.org' }] });
    expect(parsed.subject).toBe('Hi Bcc: attacker@example.net X-Injected: 1');
    const headerBlock = bytes.toString('latin1').split('\r\n\r\n')[0]!;
    expect(headerBlock.split('\r\n').filter((l) => /^bcc:/i.test(l))).toEqual([]);
  });

  it('keeps header lines short by folding at spaces', () => {
    const folded = foldHeader('Subject', 'word '.repeat(40).trim());
    expect(folded.split('\r\n').every((line) => line.length <= 78)).toBe(true);
    expect(folded.replace(/\r\n/g, '')).toBe(`Subject: ${'word '.repeat(40).trim()}`);
  });

  it('quotes display names with specials and encodes non-ASCII ones', () => {
    expect(formatMailbox({ name: "O'Brien, Seán", address: 'sean@example.org' })).toMatch(
      /^=\?UTF-8\?Q\?.*\?= <sean@example.org>$/,
    );
    expect(formatMailbox({ name: 'Smith, Jo', address: 'jo@example.org' })).toBe('"Smith, Jo" <jo@example.org>');
    expect(formatMailbox({ address: 'jo@example.org' })).toBe('jo@example.org');
  });

  it('validates addresses and MAIL_FROM forms', () => {
    expect(isValidEmail('a.b+c@example.org')).toBe(true);
    for (const bad of [
      'a@b',
      'a b@example.org',
      'a@@example.org',
      'a@example..org',
      'a@example.org\r\nBcc: x@y.org',
      '',
    ])
      expect(isValidEmail(bad)).toBe(false);
    expect(parseMailbox('Study Team <study@example.org>')).toEqual({
      name: 'Study Team',
      address: 'study@example.org',
    });
    expect(parseMailbox('"Team" <study@example.org>')).toEqual({ name: 'Team', address: 'study@example.org' });
    expect(parseMailbox('study@example.org')).toEqual({ address: 'study@example.org' });
    expect(parseMailbox('Team <not an address>')).toBeUndefined();
  });
});

describe('the Date header and the preview hash', () => {
  it('hashes everything but the Date value; withDate sets only that value', () => {
    const at = composeMessage(base);
    const later = withDate(at, new Date('2030-01-02T03:04:05Z'));
    expect(later.toString('latin1')).toContain('\r\nDate: Wed, 02 Jan 2030 03:04:05 +0000\r\n');
    expect(contentHash(later)).toBe(contentHash(at));
    expect(later.length).toBe(at.length);
    const noDate = Buffer.from(at.toString('latin1').replace(/\r\nDate: [^\r]*/, ''), 'latin1');
    expect(contentHash(noDate)).not.toBe(contentHash(at));
    expect(contentHash(Buffer.from(at.toString('latin1').replace('Hello', 'Hullo'), 'latin1'))).not.toBe(
      contentHash(at),
    );
  });
});
