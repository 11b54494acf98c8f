/**
 * Who is not e-mailed any more. A hard-bounced address is kept as the SHA-256 of its trimmed,
 * lower-cased form (never the address itself) and blocks whichever roster row uses it, until the
 * roster's address changes; an opt-out blocks the DID. Lifted with `suppression remove` (audited).
 */
import { createHash } from 'node:crypto';
import type { StateDb } from './state-db.js';

export type SuppressionKind = 'bounced' | 'opted_out';

export interface Suppression {
  id: number;
  kind: SuppressionKind;
  did: string;
  address_hash: string | null;
  to_masked: string | null;
  status: string | null;
  run_id: string | null;
  at: string;
}

export function addressHash(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

export interface NewSuppression {
  kind: SuppressionKind;
  did: string;
  address?: string | undefined;
  toMasked?: string | null;
  status?: string | null;
  runId?: string | null;
}

/** True when it is new (the same kind, DID and address are kept once). */
export function addSuppression(db: StateDb, s: NewSuppression, at: string): boolean {
  return (
    db
      .prepare(
        `INSERT OR IGNORE INTO suppressions (kind, did, address_hash, to_masked, status, run_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.kind,
        s.did,
        s.address === undefined ? null : addressHash(s.address),
        s.toMasked ?? null,
        s.status ?? null,
        s.runId ?? null,
        at,
      ).changes === 1
  );
}

export function listSuppressions(db: StateDb): Suppression[] {
  return db.prepare('SELECT * FROM suppressions ORDER BY at, id').all() as Suppression[];
}

/** Removes the suppressions of a DID or of an address; returns what was removed. */
export function removeSuppressions(db: StateDb, didOrAddress: string): Suppression[] {
  const isAddress = didOrAddress.includes('@');
  const where = isAddress ? 'address_hash = ?' : 'did = ?';
  const key = isAddress ? addressHash(didOrAddress) : didOrAddress;
  return db.transaction(() => {
    const rows = db.prepare(`SELECT * FROM suppressions WHERE ${where}`).all(key) as Suppression[];
    db.prepare(`DELETE FROM suppressions WHERE ${where}`).run(key);
    return rows;
  })();
}

/** For validation: bounced address hashes and opted-out DIDs. */
export interface SuppressionIndex {
  byAddressHash: Map<string, Suppression>;
  byDid: Map<string, Suppression>;
}

export function suppressionIndex(db: StateDb): SuppressionIndex {
  const index: SuppressionIndex = { byAddressHash: new Map(), byDid: new Map() };
  for (const s of listSuppressions(db)) {
    if (s.kind === 'bounced' && s.address_hash !== null) index.byAddressHash.set(s.address_hash, s);
    else index.byDid.set(s.did, s);
  }
  return index;
}
