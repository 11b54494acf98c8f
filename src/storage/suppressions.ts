/**
 * Who is not e-mailed any more. A hard-bounced address is kept as the SHA-256 of its trimmed,
 * lower-cased form (never the address itself) and blocks whichever roster row uses it, until the
 * roster's address changes; an opt-out blocks the DID. Lifted with `suppression remove` (audited).
 */
import { nodeCrypto } from '../util/commonjs.js';
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
  return nodeCrypto().createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
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
  /** DIDs with a soft bounce in at least SOFT_BOUNCE_WARN_OF of their last SOFT_BOUNCE_WINDOW sends. */
  softBouncing?: Map<string, number>;
}

export const SOFT_BOUNCE_WINDOW = 5;
export const SOFT_BOUNCE_WARN_OF = 3;

/**
 * DIDs whose last five sends (one a day at most) include three or more soft bounces, with the
 * count. Only DIDs with three soft-bounced messages at all are looked at closely, so the common
 * case reads one pass over the ledger and sorts nothing.
 */
export function softBouncingDids(db: StateDb): Map<string, number> {
  const rows = db
    .prepare(
      `WITH suspects AS (
         SELECT did FROM messages WHERE soft_bounces > 0 GROUP BY did HAVING COUNT(*) >= :warnOf
       ),
       recent AS (
         SELECT m.did, m.soft_bounces,
                ROW_NUMBER() OVER (PARTITION BY m.did ORDER BY m.report_date DESC, m.id DESC) AS n
         FROM messages m JOIN suspects s ON s.did = m.did
         WHERE m.state IN ('sent', 'bounced')
       )
       SELECT did, SUM(soft_bounces > 0) AS soft FROM recent WHERE n <= :window
       GROUP BY did HAVING soft >= :warnOf`,
    )
    .all({ warnOf: SOFT_BOUNCE_WARN_OF, window: SOFT_BOUNCE_WINDOW }) as { did: string; soft: number }[];
  return new Map(rows.map((r) => [r.did, r.soft]));
}

export function suppressionIndex(db: StateDb): SuppressionIndex {
  const index: SuppressionIndex = { byAddressHash: new Map(), byDid: new Map(), softBouncing: softBouncingDids(db) };
  for (const s of listSuppressions(db)) {
    if (s.kind === 'bounced' && s.address_hash !== null) index.byAddressHash.set(s.address_hash, s);
    else index.byDid.set(s.did, s);
  }
  return index;
}
