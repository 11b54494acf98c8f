import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaimBatcher } from '../../../src/sending/claim-batcher.js';
import { SendLedger } from '../../../src/storage/send-ledger.js';
import { openStateDb, type StateDb } from '../../../src/storage/state-db.js';

let dir: string | undefined;
let db: StateDb | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

function ledger(): StateDb {
  dir = mkdtempSync(join(tmpdir(), 'claims-'));
  db = openStateDb(join(dir, 'state.db'));
  const at = new Date().toISOString();
  for (const run of ['run-a', 'run-b']) {
    db.prepare(
      "INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, expires_at, summary_json) VALUES (?, '2026-11-23', ?, 't', 'sending', 'h', 't', ?, '{}')",
    ).run(run, at, at);
  }
  const insert = db.prepare(
    "INSERT INTO messages (id, run_id, report_date, did, state, updated_at) VALUES (?, ?, '2026-11-23', ?, ?, ?)",
  );
  insert.run(1, 'run-a', 'P1', 'sending', at); // in flight, about to be marked sent
  insert.run(2, 'run-a', 'P2', 'planned', at);
  insert.run(3, 'run-a', 'P3', 'failed', at); // no longer planned
  insert.run(4, 'run-a', 'P4', 'planned', at);
  insert.run(5, 'run-b', 'P4', 'sent', at); // P4 already reached by another run of the day
  return db;
}

const stateOf = (id: number): string =>
  (db!.prepare('SELECT state FROM messages WHERE id = ?').get(id) as { state: string }).state;

describe('ClaimBatcher', () => {
  it('commits the sent marks and claims of one event-loop turn together, each with its own outcome', async () => {
    const batcher = new ClaimBatcher(new SendLedger(ledger()), 'owner-1', () => new Date());
    const outcomes = await Promise.all([
      batcher.submit({ id: 1, response: '250 ok', at: new Date().toISOString() }, 2),
      batcher.submit(undefined, 3),
      batcher.submit(undefined, 4),
    ]);
    expect(outcomes).toEqual(['claimed', 'gone', 'duplicate']);
    expect([1, 2, 3, 4].map(stateOf)).toEqual(['sent', 'sending', 'failed', 'skipped']);
    // A claimed message cannot be claimed a second time.
    expect(await batcher.submit(undefined, 2)).toBe('gone');
  });

  it('a failing batch rejects every request in it and leaves nothing half-written', async () => {
    const batcher = new ClaimBatcher(new SendLedger(ledger()), 'owner-1', () => new Date());
    db!.exec(
      "CREATE TRIGGER no_claims BEFORE UPDATE OF state ON messages WHEN NEW.state = 'sending' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
    );
    const results = await Promise.allSettled([
      batcher.submit({ id: 1, response: '250 ok', at: new Date().toISOString() }, 2),
      batcher.submit(undefined, 4),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect([1, 2, 4].map(stateOf)).toEqual(['sending', 'planned', 'planned']);
  });
});
