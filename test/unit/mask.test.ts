import { describe, expect, it } from 'vitest';
import { maskAddressesInText, maskEmail } from '../../src/util/mask.js';

describe('masking addresses', () => {
  it('keeps the first letter and the domain only', () => {
    expect(maskEmail('alice.smith@example.org')).toBe('a***@example.org');
    expect(maskEmail('broken')).toBe('***');
  });

  it('masks every address inside an SMTP reply', () => {
    expect(maskAddressesInText('550 5.1.1 <jo.bloggs@example.org>: Recipient rejected; cc bo@example.net')).toBe(
      '550 5.1.1 <j***@example.org>: Recipient rejected; cc b***@example.net',
    );
  });
});
