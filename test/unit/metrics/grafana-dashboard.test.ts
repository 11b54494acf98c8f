/** contrib/grafana-dashboard.json: valid JSON whose every query names a series /metrics exports. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { openStateDb } from '../../../src/storage/state-db.js';

const path = join(import.meta.dirname, '..', '..', '..', 'contrib', 'grafana-dashboard.json');

interface Panel {
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string }[];
}

describe('the Grafana dashboard', () => {
  it('parses, and each panel queries series that /metrics exports', async () => {
    const dashboard = JSON.parse(readFileSync(path, 'utf8')) as { title: string; panels: Panel[] };
    expect(dashboard.title).toBe('mail-updater');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);

    const db = openStateDb(':memory:');
    const config = loadConfig({ SMTP_CREDENTIAL_EXPIRES_AT: '2030-01-01', PARTICIPANTS_CSV_PATH: '/nonexistent.csv' });
    const text = await createMetrics({ config, db, now: () => new Date() })
      .render()
      .then((r) => r.body);
    db.close();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    const series = (name: string) =>
      families.has(name) ||
      [...families].some((f) => ['_total', '_bucket', '_count', '_sum'].some((s) => `${f}${s}` === name));

    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets)
        for (const m of target.expr.matchAll(/\bmail_updater_[a-z_]+/g)) queried.add(m[0]);
    }
    for (const name of queried) expect(series(name), name).toBe(true);
    // The main series all have a panel.
    for (const name of [
      'mail_updater_messages_total',
      'mail_updater_slack_api_errors_total',
      'mail_updater_last_send_timestamp_seconds',
      'mail_updater_pending_approval_age_seconds',
      'mail_updater_participants',
      'mail_updater_run_send_duration_seconds_bucket',
    ])
      expect(queried, name).toContain(name);
  });
});
