/**
 * Who the bounce fixtures (test/fixtures/bounces/) are about: one synthetic run and DIDs, the
 * Message-IDs our renderer would give them (src/runs/render-message.ts) and the tokens our
 * envelope senders would carry. Fixtures and tests agree through this file.
 */
import { createHash } from 'node:crypto';
import { returnPathToken, unsubscribeToken } from '../../src/bounces/token.js';
import { composeMessage } from '../../src/mail/compose.js';

export const FIXTURE_SECRET = 'fixture-secret-not-for-production';
export const FIXTURE_RUN_ID = '2026-11-29_20261130T090000_a1b2c3';
export const STUDY_DOMAIN = 'study.test';

export function fixtureMessageId(did: string): string {
  return `${FIXTURE_RUN_ID}.${createHash('sha256').update(did).digest('hex').slice(0, 16)}@${STUDY_DOMAIN}`;
}

export function fixtureToken(did: string): string {
  return returnPathToken(FIXTURE_SECRET, FIXTURE_RUN_ID, did);
}

export function fixtureUnsubscribeToken(did: string): string {
  return unsubscribeToken(FIXTURE_SECRET, FIXTURE_RUN_ID, did);
}

/** A message shaped like ours (composeMessage, our Message-ID and run header) for one DID. */
export function ourMessage(did: string, to: string): Buffer {
  return composeMessage({
    from: { name: 'Sleep Study', address: 'study@study.test' },
    to: { address: to },
    subject: 'Your study update for 29 November',
    text: `Hello,\n\nYesterday you completed 3 of 4 surveys.\n\n(${did})\n`,
    html: '<p>Hello,</p><p>Yesterday you completed 3 of 4 surveys.</p>',
    messageId: fixtureMessageId(did),
    date: new Date('2026-11-30T09:00:00Z'),
    boundary: `mu_fixture_${did}`,
    extraHeaders: { 'X-Mail-Updater-Run': FIXTURE_RUN_ID },
  });
}
