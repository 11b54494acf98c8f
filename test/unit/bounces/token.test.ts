import { describe, expect, it } from 'vitest';
import {
  baseLocal,
  hasTagSlot,
  isToken,
  returnPathToken,
  tagAddress,
  tokenFromAddress,
  unsubscribeToken,
} from '../../../src/bounces/token.js';
import { unsubscribeMailto } from '../../../src/bounces/unsubscribe.js';
import { isValidEmail } from '../../../src/mail/address.js';

const SECRET = 'a-test-secret-of-enough-length';
const RUN = '2026-11-29_20261130T090000_a1b2c3';

describe('returnPathToken', () => {
  it('is deterministic, and differs per run, per DID and per secret', () => {
    const token = returnPathToken(SECRET, RUN, 'S-0101');
    expect(token).toBe(returnPathToken(SECRET, RUN, 'S-0101'));
    expect(returnPathToken(SECRET, '2026-11-30_20261201T090000_d4e5f6', 'S-0101')).not.toBe(token);
    expect(returnPathToken(SECRET, RUN, 'S-0102')).not.toBe(token);
    expect(returnPathToken(`${SECRET}!`, RUN, 'S-0101')).not.toBe(token);
  });

  it('does not confuse where the run ID ends and the DID begins', () => {
    expect(returnPathToken(SECRET, 'run-1', '2S')).not.toBe(returnPathToken(SECRET, 'run-12', 'S'));
  });

  it('is 16 lower-case base32 characters with no DID in it, for many DIDs, without collisions', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const did = `S-${String(i).padStart(4, '0')}`;
      const token = returnPathToken(SECRET, RUN, did);
      expect(token).toMatch(/^[a-z2-7]{16}$/);
      expect(token).not.toContain(did.toLowerCase());
      expect(token).not.toContain(did.slice(2));
      tokens.add(token);
    }
    expect(tokens.size).toBe(2000);
  });

  it('makes a valid local part that fits the 64-character limit', () => {
    const address = tagAddress('bounces+@study.test', returnPathToken(SECRET, RUN, 'S-0101'));
    expect(isValidEmail(address)).toBe(true);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
  });

  it('differs from the unsubscribe token of the same message', () => {
    const unsub = unsubscribeToken(SECRET, RUN, 'S-0101');
    expect(isToken(unsub)).toBe(true);
    expect(unsub).not.toBe(returnPathToken(SECRET, RUN, 'S-0101'));
  });

  it('refuses a short secret, saying what to use instead', () => {
    expect(() => returnPathToken('short', RUN, 'S-0101')).toThrow(/at least 16 characters/);
  });
});

describe('tagAddress / tokenFromAddress', () => {
  const token = returnPathToken(SECRET, RUN, 'S-0101');

  it('inserts the tag after the first "+", adding one when the base has none', () => {
    expect(tagAddress('bounces+@study.test', token)).toBe(`bounces+${token}@study.test`);
    expect(tagAddress('bounces@study.test', token)).toBe(`bounces+${token}@study.test`);
    expect(tagAddress('study@study.test', `unsub-${token}`)).toBe(`study+unsub-${token}@study.test`);
  });

  it('says whether a base address asks for per-message tags', () => {
    expect(hasTagSlot('bounces+@study.test')).toBe(true);
    expect(hasTagSlot('bounces@study.test')).toBe(false);
    expect(baseLocal('bounces+@study.test')).toBe('bounces');
  });

  it('refuses what is not an address or not a safe tag', () => {
    expect(() => tagAddress('bounces', token)).toThrow(/not an e-mail address/);
    expect(() => tagAddress('bounces+@study.test', 'Bad Tag')).toThrow(/lower-case/);
  });

  it('reads the token back, whatever the case or brackets, and only for the expected local part', () => {
    const address = tagAddress('bounces+@study.test', token);
    expect(tokenFromAddress(address, 'bounces')).toBe(token);
    expect(tokenFromAddress(`<${address.toUpperCase()}>`, 'bounces')).toBe(token);
    expect(tokenFromAddress(address)).toBe(token);
    expect(tokenFromAddress(address, 'study')).toBeUndefined();
    expect(tokenFromAddress('bounces@study.test', 'bounces')).toBeUndefined();
    expect(tokenFromAddress('bounces+abc123@study.test', 'bounces')).toBeUndefined();
    expect(tokenFromAddress('bounces+0123456789abcdef@study.test', 'bounces')).toBeUndefined();
  });

  it('reads an unsubscribe token only with its prefix', () => {
    const unsub = unsubscribeToken(SECRET, RUN, 'S-0101');
    const address = tagAddress('study@study.test', `unsub-${unsub}`);
    expect(tokenFromAddress(address, 'study', 'unsub-')).toBe(unsub);
    expect(tokenFromAddress(address, 'study')).toBeUndefined();
  });

  it('builds the List-Unsubscribe mailto with the token in the address and the subject', () => {
    const unsub = unsubscribeToken(SECRET, RUN, 'S-0101');
    expect(unsubscribeMailto('study@study.test', unsub)).toBe(
      `mailto:study+unsub-${unsub}@study.test?subject=unsubscribe%20${unsub}`,
    );
    expect(() => unsubscribeMailto('study@study.test', 'S-0101')).toThrow(/unsubscribeToken/);
  });
});
