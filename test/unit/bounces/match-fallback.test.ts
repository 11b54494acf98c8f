/**
 * How a bounce finds its message when the envelope token is absent (README of
 * test/fixtures/bounces/): the tag first, then the returned Message-ID, then run ID + recipient
 * (masked, and only when that is unambiguous). Each case is a saved DSN fixture, classified for
 * real, recorded against a temp state DB whose ledger holds the fixture run's messages.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Classified, classifyMessage } from '../../../src/bounces/classify.js';
import { recordClassified } from '../../../src/bounces/record.js';
import { recordTokens } from '../../../src/storage/bounces.js';
import { openStateDb, type StateDb } from '../../../src/storage/state-db.js';
import { maskEmail } from '../../../src/util/mask.js';
import { FIXTURE_RUN_ID, fixtureMessageId, fixtureToken } from '../../support/bounce-fixtures.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/bounces');
const options = { returnPathLocal: 'bounces', unsubscribeLocal: 'study' };
const NOW = new Date('2026-11-30T10:00:00Z');
/** The DIDs the fixtures are about (test/support/bounce-fixtures.ts). */
const DIDS = Array.from({ length: 100 }, (_, i) => `S-01${String(i).padStart(2, '0')}`);

let dir: string;
let db: StateDb;

function didOfMessageId(messageId: string | undefined): string {
  const did = DIDS.find((d) => fixtureMessageId(d) === messageId);
  if (did === undefined) throw new Error(`no fixture DID has Message-ID ${messageId}`);
  return did;
}

/** A sent message of the fixture run in the ledger, with or without its envelope token. */
function sent(did: string, to: string, opts: { token: boolean; messageId?: string | null } = { token: true }): void {
  db.prepare(
    "INSERT INTO messages (run_id, report_date, did, state, to_masked, sha256, message_id, updated_at) VALUES (?, '2026-11-29', ?, 'sent', ?, 'h', ?, ?)",
  ).run(
    FIXTURE_RUN_ID,
    did,
    maskEmail(to),
    opts.messageId === undefined ? fixtureMessageId(did) : opts.messageId,
    NOW.toISOString(),
  );
  if (opts.token)
    recordTokens(db, FIXTURE_RUN_ID, [{ did, returnPathToken: fixtureToken(did), unsubscribeToken: undefined }]);
}

async function classify(text: string): Promise<Extract<Classified, { kind: 'bounce' }>> {
  const c = await classifyMessage(Buffer.from(text), options);
  if (c.kind !== 'bounce') throw new Error(`expected a bounce, got ${JSON.stringify(c)}`);
  return c;
}

const fixture = (name: string): string => readFileSync(join(DIR, name), 'utf8');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'match-'));
  db = openStateDb(join(dir, 'state.db'));
  db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json)
     VALUES (?, '2026-11-29', '2026-11-30T09:00:00Z', 't', 'done', 'h', 't', '2026-12-01T00:00:00Z', '{}')`,
  ).run(FIXTURE_RUN_ID);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('matching a bounce to our message', () => {
  it('by the envelope token when the DSN carries it, even if the Message-ID is unknown', async () => {
    const c = await classify(fixture('postfix-unknown-user.eml'));
    const did = didOfMessageId(c.ref.messageId);
    expect(c.ref.returnPathToken).toBe(fixtureToken(did));
    sent(did, 'pat.gone@participants.test', { token: true, messageId: 'something-else@study.test' });
    expect(recordClassified(db, c, 'test', NOW, false)).toMatchObject({ kind: 'hard_bounce', did });
  });

  for (const name of ['exchange-ndr-text-only.eml', 'generic-undelivered-text.eml']) {
    it(`by the returned Message-ID when there is no envelope token (${name})`, async () => {
      const c = await classify(fixture(name));
      expect(c.ref.returnPathToken).toBeUndefined();
      const did = didOfMessageId(c.ref.messageId);
      // The recipient's masked address differs: only the Message-ID can have matched.
      sent(did, 'someone.else@elsewhere.test', { token: false });
      expect(recordClassified(db, c, 'test', NOW, false)).toMatchObject({ kind: 'hard_bounce', did, duplicate: false });
      expect(db.prepare('SELECT state FROM messages WHERE did = ?').get(did)).toEqual({ state: 'bounced' });
    });
  }

  it('by the Message-ID when the DSN has a token the ledger does not know (an untagged send)', async () => {
    const c = await classify(fixture('postfix-unknown-user.eml'));
    const did = didOfMessageId(c.ref.messageId);
    sent(did, 'nobody@elsewhere.test', { token: false });
    expect(recordClassified(db, c, 'test', NOW, false)).toMatchObject({ kind: 'hard_bounce', did });
  });

  /** postfix-unknown-user.eml as a relay that drops the tag and the Message-ID would return it. */
  function withoutTokenAndMessageId(): string {
    return fixture('postfix-unknown-user.eml')
      .replace(/bounces\+[a-z2-7]{16}@/g, 'bounces@')
      .replace(/^Message-ID: <2026-11-29_[^>]+>\r?\n/m, '');
  }

  it('by run ID + recipient when neither the token nor the Message-ID came back', async () => {
    const c = await classify(withoutTokenAndMessageId());
    expect(c.ref).toEqual({ runId: FIXTURE_RUN_ID });
    expect(c.recipientAddress).toBe('pat.gone@participants.test');
    sent('S-0150', 'other@participants.test', { token: false, messageId: null });
    sent('S-0151', 'pat.gone@participants.test', { token: false, messageId: null });
    expect(recordClassified(db, c, 'test', NOW, false)).toMatchObject({ kind: 'hard_bounce', did: 'S-0151' });
  });

  it('not at all when run ID + recipient is ambiguous (masked addresses collide) or unknown: not ours', async () => {
    const c = await classify(withoutTokenAndMessageId());
    // p***@participants.test for both: the masked address does not say which one bounced.
    sent('S-0150', 'pat.gone@participants.test', { token: false, messageId: null });
    sent('S-0151', 'pia.x@participants.test', { token: false, messageId: null });
    expect(maskEmail('pia.x@participants.test')).toBe(maskEmail('pat.gone@participants.test'));
    expect(recordClassified(db, c, 'test', NOW, false)).toEqual({ kind: 'not_ours', reason: 'unknown_reference' });
    expect(db.prepare("SELECT COUNT(*) AS n FROM messages WHERE state = 'bounced'").get()).toEqual({ n: 0 });

    const otherRun = await classify(
      withoutTokenAndMessageId().replace(/X-Mail-Updater-Run: \S+/, 'X-Mail-Updater-Run: another-run'),
    );
    expect(recordClassified(db, otherRun, 'test', NOW, false)).toEqual({
      kind: 'not_ours',
      reason: 'unknown_reference',
    });
  });
});
