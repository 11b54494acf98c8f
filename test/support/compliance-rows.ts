/** Rows of the built-in compliance query's shape, for template and view-model tests. */
import type { ComplianceRow } from '../../src/compliance/db.js';

/** A full week of 3-of-4 days ending on 2026-11-29, 14 days since joining, wear every day. */
export function complianceRow(overrides: Partial<ComplianceRow> = {}): ComplianceRow {
  const week = ['23', '24', '25', '26', '27', '28', '29'].map((d) => [`2026-11-${d}`, 3, 4]);
  return {
    did: 'P001',
    surveys_completed: 3,
    surveys_expected: 4,
    wear_minutes: 377,
    last_sync_at: '2026-11-29T23:38:00Z',
    std_surveys_completed: 42,
    std_surveys_expected: 56,
    std_days: 14,
    std_wear_days: 14,
    std_avg_wear_minutes: 377,
    week_json: JSON.stringify(week),
    ...overrides,
  };
}
