/** The Prometheus text format checked by Debian's python3-prometheus-client, the reference parser. */
import { execFileSync, spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

/** Why the format check cannot run here, or undefined when it can. */
export const parserMissing =
  spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' }).status !== 0
    ? 'needs the Debian package python3-prometheus-client (apt-get install python3-prometheus-client)'
    : undefined;
if (parserMissing) console.warn(`skipping the /metrics format check: ${parserMissing}`);

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** NaN and the infinities come as strings ("nan", "inf"): JSON has no number for them. */
  value: number;
}

/** Parses the exposition with prometheus_client; throws on anything it rejects. */
export function parseExposition(text: string): Sample[] {
  const script = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' })) as Sample[];
}

export function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
