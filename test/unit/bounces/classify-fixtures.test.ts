/**
 * Every saved message in test/fixtures/bounces/ (see its README: real Postfix and Exim output,
 * and hand-written shapes of other systems) and what it must be classified as.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Classified, classifyMessage } from '../../../src/bounces/classify.js';
import {
  FIXTURE_RUN_ID,
  fixtureMessageId,
  fixtureToken,
  fixtureUnsubscribeToken,
} from '../../support/bounce-fixtures.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/bounces');
const options = { returnPathLocal: 'bounces', unsubscribeLocal: 'study' };

/** The full reference: tag, Message-ID and run, all found. */
const fullRef = (did: string) => ({
  returnPathToken: fixtureToken(did),
  messageId: fixtureMessageId(did),
  runId: FIXTURE_RUN_ID,
});
/** No tag (the envelope sender was untagged): Message-ID and run only. */
const idRef = (did: string) => ({ messageId: fixtureMessageId(did), runId: FIXTURE_RUN_ID });

const expected: Record<string, Classified> = {
  'postfix-unknown-user.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'rfc3464',
    recipientAddress: 'pat.gone@participants.test',
    status: '5.1.1',
    action: 'failed',
    diagnostic: 'unknown user: "p***@participants.test"',
    reportingMta: 'mx.study.test',
    ref: fullRef('S-0101'),
  },
  'postfix-delayed.eml': {
    kind: 'bounce',
    severity: 'soft',
    format: 'rfc3464',
    recipientAddress: 'lee@slow.participants.test',
    status: '4.4.1',
    action: 'delayed',
    diagnostic: 'host temporarily unavailable (test mail stack)',
    reportingMta: 'mx.study.test',
    ref: fullRef('S-0102'),
  },
  'postfix-success-notice.eml': { kind: 'not_ours', reason: 'not_a_failure' },
  'postfix-not-ours.eml': { kind: 'not_ours', reason: 'no_reference' },
  'exim-unknown-user.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'rfc3464',
    recipientAddress: 'sam@participants.example.org',
    status: '5.0.0',
    action: 'failed',
    // Exim writes no Diagnostic-Code: the reply comes from its text part.
    diagnostic:
      '550 5.1.1 <s***@participants.example.org>: Recipient address rejected: User unknown in local recipient table',
    reportingMta: 'mx.exim.test',
    ref: fullRef('S-0108'),
  },
  'exchange-ndr.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'rfc3464',
    recipientAddress: 'kim.old@contoso.example.org',
    status: '5.1.10',
    action: 'failed',
    diagnostic:
      '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient k***@contoso.example.org not found by SMTP address lookup',
    reportingMta: 'AM0PR00MB0001.eurprd00.prod.outlook.test',
    arrivalDate: 'Mon, 30 Nov 2026 09:00:03 +0000',
    ref: fullRef('S-0103'),
  },
  'exchange-ndr-text-only.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'heuristic',
    recipientAddress: 'alex.moved@fabrikam.example.org',
    status: '5.1.1',
    diagnostic: '#550 5.1.1 RESOLVER.ADR.RecipientNotFound; not found ##',
    ref: idRef('S-0112'),
  },
  'gmail-address-not-found.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'heuristic',
    recipientAddress: 'robin.nobody@gmail.example.org',
    status: '5.1.1',
    diagnostic:
      "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
    ref: fullRef('S-0104'),
  },
  'gmail-delayed.eml': {
    kind: 'bounce',
    severity: 'soft',
    format: 'heuristic',
    recipientAddress: 'casey@busy.example.org',
    status: '4.3.0',
    diagnostic: '451 4.3.0 <c***@busy.example.org>: Temporary lookup failure',
    ref: fullRef('S-0111'),
  },
  'qmail-remote-550.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'heuristic',
    recipientAddress: 'jo.smith@oldhost.test',
    status: '5.1.1',
    diagnostic: 'Remote host said: 550 5.1.1 <j***@oldhost.test>... User unknown Giving up on 192.0.2.25.',
    ref: fullRef('S-0105'),
  },
  'qmail-no-such-host.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'heuristic',
    recipientAddress: 'dana@no-such-host.test',
    diagnostic: "Sorry, I couldn't deliver this message: no host named no-such-host.test.",
    ref: fullRef('S-0113'),
  },
  'generic-undelivered-text.eml': {
    kind: 'bounce',
    severity: 'hard',
    format: 'heuristic',
    recipientAddress: 'pat.q@example.org',
    status: '5.7.1',
    diagnostic:
      '<p***@example.org>: host mx.example.org[192.0.2.10] said: 550 5.7.1 Message rejected as spam by content filter (in reply to end of DATA command)',
    ref: idRef('S-0106'),
  },
  'auto-reply-rfc3834.eml': { kind: 'auto_reply', ref: fullRef('S-0107') },
  'auto-reply-x-autoreply.eml': { kind: 'auto_reply', ref: idRef('S-0109') },
  'unsubscribe-mailto.eml': { kind: 'unsubscribe', token: fixtureUnsubscribeToken('S-0101') },
  'unsubscribe-subject-only.eml': { kind: 'unsubscribe', token: fixtureUnsubscribeToken('S-0102') },
  'newsletter.eml': { kind: 'not_ours', reason: 'unrelated' },
};

const read = (name: string): Buffer => readFileSync(join(DIR, name));

describe('classifyMessage on the saved fixtures', () => {
  it('has an expectation for every fixture in the folder', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.eml'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name} → ${want.kind}${want.kind === 'bounce' ? ` (${want.severity})` : ''}`, async () => {
      const got = await classifyMessage(read(name), options);
      // Arrival dates of the captured DSNs are whenever they were captured: checked for shape only.
      if (got.kind === 'bounce' && want.kind === 'bounce' && want.arrivalDate === undefined && got.arrivalDate) {
        expect(got.arrivalDate).toMatch(/^\w{3}, \d{1,2} \w{3} \d{4} /);
        delete got.arrivalDate;
      }
      expect(got).toEqual(want);
    });
  }

  it('never lets a full address through in a diagnostic', async () => {
    for (const name of Object.keys(expected)) {
      const got = await classifyMessage(read(name), options);
      if (got.kind === 'bounce' && got.diagnostic !== undefined) {
        expect(got.diagnostic, name).not.toMatch(/(?<!\*\*\*)@/);
        expect(got.diagnostic.length, name).toBeLessThanOrEqual(500);
      }
    }
  });
});
