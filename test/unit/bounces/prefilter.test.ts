/**
 * The byte-level pre-filter check-bounces runs before the full parse (mayReferToUs): it may let
 * through mail that is not ours, but must never drop one of ours. Every saved fixture that
 * classifies as ours passes it, also when its references are quoted-printable-wrapped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batches } from '../../../src/bounces/check.js';
import { classifyMessage, mayReferToUs } from '../../../src/bounces/classify.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/bounces');
const options = { returnPathLocal: 'bounces', unsubscribeLocal: 'study' };

describe('mayReferToUs', () => {
  it('lets through every fixture that is ours', async () => {
    const names = readdirSync(DIR).filter((n) => n.endsWith('.eml'));
    let ours = 0;
    for (const name of names) {
      const raw = readFileSync(join(DIR, name));
      const c = await classifyMessage(raw, options);
      if (c.kind !== 'not_ours') {
        ours++;
        expect(mayReferToUs(raw, options), name).toBe(true);
      }
    }
    expect(ours).toBeGreaterThan(10);
  });

  it('drops plain mail that names nothing of ours, and sees a reference split by a quoted-printable soft break', () => {
    const plain = Buffer.from(
      'From: a@example.org\r\nTo: bounces@study.test\r\nSubject: Hello\r\n\r\nA delayed newsletter.\r\n',
    );
    expect(mayReferToUs(plain, options)).toBe(false);
    const wrapped = Buffer.from(
      'From: postmaster@example.org\r\nSubject: Undeliverable\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nMessage-ID: <2026-11-29_2026113=\r\n0T090000_a1b2c3.b1607caaeb954686@study.test>\r\n',
    );
    expect(mayReferToUs(wrapped, options)).toBe(true);
    const encoded = Buffer.from(
      'Subject: Delivery Status Notification\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nTWVzc2FnZS1JRDo=\r\n',
    );
    expect(mayReferToUs(encoded, options)).toBe(true);
  });
});

describe('batches', () => {
  it('bounds each batch by count and bytes; a message over the cap goes alone-sized (not fetched)', () => {
    const entries = Array.from({ length: 450 }, (_, i) => ({ uid: i + 1, size: 1000 }));
    expect([...batches(entries, 1024 * 1024)].map((b) => b.length)).toEqual([200, 200, 50]);
    const big = Array.from({ length: 10 }, (_, i) => ({ uid: i + 1, size: 1_000_000 }));
    const sized = [...batches(big, 1024 * 1024)];
    expect(sized.every((b) => b.reduce((n, e) => n + e.size, 0) <= 8 * 1024 * 1024)).toBe(true);
    expect(sized.flat().map((e) => e.uid)).toEqual(big.map((e) => e.uid));
    const huge = [
      ...batches(
        [
          { uid: 1, size: 50_000_000 },
          { uid: 2, size: 10 },
        ],
        1024 * 1024,
      ),
    ];
    expect(huge.flat().map((e) => e.uid)).toEqual([1, 2]);
  });
});
