import { describe, expect, it } from 'vitest';
import type { RosterRow } from '../../../src/roster/read.js';
import { addressHash, type Suppression, type SuppressionIndex } from '../../../src/storage/suppressions.js';
import { suppressionFindings } from '../../../src/validation/suppressed.js';

const row = (did: string, email: string, status = 'active', n = 2): RosterRow =>
  ({ row: n, did, email, firstName: 'A', lastName: 'B', status }) as unknown as RosterRow;

const suppression = (s: Partial<Suppression>): Suppression => ({
  id: 1,
  kind: 'bounced',
  did: 'P001',
  address_hash: null,
  to_masked: 'a***@example.org',
  status: '5.1.1',
  run_id: 'run1',
  at: '2026-11-30T09:10:00.000Z',
  ...s,
});

function index(list: Suppression[]): SuppressionIndex {
  const i: SuppressionIndex = { byAddressHash: new Map(), byDid: new Map() };
  for (const s of list) {
    if (s.kind === 'bounced' && s.address_hash !== null) i.byAddressHash.set(s.address_hash, s);
    else i.byDid.set(s.did, s);
  }
  return i;
}

describe('suppressions in validation', () => {
  const bounced = index([suppression({ address_hash: addressHash('ana@example.org') })]);

  it('blocks the address that bounced (any case, trimmed), naming DID, date and status but not the address', () => {
    const [finding] = suppressionFindings([row('P001', ' Ana@Example.org ')], bounced);
    expect(finding).toMatchObject({ code: 'email_bouncing', did: 'P001', severity: 'error', scope: 'row', row: 2 });
    expect(finding!.message).toContain('2026-11-30');
    expect(finding!.message).toContain('5.1.1');
    expect(JSON.stringify(finding)).not.toMatch(/ana@/i);
  });

  it('a changed address is tried again; inactive rows are not reported', () => {
    expect(suppressionFindings([row('P001', 'ana.lima@example.org')], bounced)).toEqual([]);
    expect(suppressionFindings([row('P001', 'ana@example.org', 'withdrawn')], bounced)).toEqual([]);
  });

  it('an opt-out blocks the DID whatever its address', () => {
    const [finding] = suppressionFindings(
      [row('P001', 'new@example.org')],
      index([suppression({ kind: 'opted_out', status: null })]),
    );
    expect(finding).toMatchObject({ code: 'opted_out_by_participant', did: 'P001' });
  });
});
