/**
 * The weekly picture's renderer on a 10,000-participant study over 8 weeks (56 days). Goal for
 * the whole `report` command: under 5 s and 250 MB; the aggregation from the state DB comes on
 * top of this, so rendering alone should stay around 1 s.
 *
 * Called from `npm run bench` as benchReport(report, fmt), or on its own:
 *   npx tsx test/bench/report.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simulatedStudy } from '../support/report-data.js';
import { PEAK_RSS_HOOK, peakOf } from './peak-rss.js';

type Report = (what: string, figure: string, note?: string) => void;
type Fmt = (n: number, digits?: number) => string;

const PARTICIPANTS = 10_000;
const DAYS = 56;
const MB = 1024 * 1024;
const BUILT_RENDERER = resolve(import.meta.dirname, '../../dist/src/report/render.js');

const defaultFmt: Fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const printRow: Report = (what, figure, note = '') => console.log(`  ${what}: ${figure}${note ? `  (${note})` : ''}`);

/** Highest RSS seen while running `work`. Vega's layout blocks the event loop, so the sampler also
 * reads the kernel's high-water mark (maxRSS) before and after, which sees every peak. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakRssDeltaMb: number }> {
  const rssBefore = process.memoryUsage().rss;
  const maxBefore = process.resourceUsage().maxRSS * 1024;
  let sampled = rssBefore;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, 2);
  const started = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - started;
    sampled = Math.max(sampled, process.memoryUsage().rss);
    const maxAfter = process.resourceUsage().maxRSS * 1024;
    const peak = Math.max(sampled, maxAfter > maxBefore ? maxAfter : 0);
    return { value, ms, peakRssDeltaMb: (peak - rssBefore) / MB };
  } finally {
    clearInterval(timer);
  }
}

/** The figure closest to the real command: a fresh `node` that loads the built renderer, draws once, exits. */
function wholeProcess(dataFile: string, pngFile: string): { ms: number; maxRssMb: number } | undefined {
  if (!existsSync(BUILT_RENDERER)) return undefined;
  const script = [
    `import { readFileSync, writeFileSync } from 'node:fs';`,
    `const { renderReportPng } = await import(${JSON.stringify(pathToFileURL(BUILT_RENDERER).href)});`,
    `const r = await renderReportPng(JSON.parse(readFileSync(${JSON.stringify(dataFile)}, 'utf8')));`,
    `writeFileSync(${JSON.stringify(pngFile)}, r.png);`,
  ].join('\n');
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--require', PEAK_RSS_HOOK, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  const ms = performance.now() - started;
  const peak = peakOf(child.stderr);
  if (child.status !== 0 || peak === undefined) throw new Error(`The report child failed:\n${child.stderr}`);
  return { ms, maxRssMb: peak.rssMb };
}

export async function benchReport(report: Report = printRow, fmt: Fmt = defaultFmt): Promise<void> {
  const data = simulatedStudy({ participants: PARTICIPANTS, days: DAYS, to: '2026-11-22', studyName: 'Benchmark' });
  const size = `${fmt(PARTICIPANTS)} participants x ${DAYS} days`;

  // First call includes loading Vega, Vega-Lite and resvg, as the `report` command pays it.
  const cold = await measured(async () => {
    const { renderReportPng } = await import('../../src/report/render.js');
    return { renderReportPng, rendered: await renderReportPng(data) };
  });
  const { renderReportPng, rendered } = cold.value;
  report(
    `report: render ${size}, first call (incl. loading Vega + resvg)`,
    `${fmt(cold.ms)} ms, peak RSS +${fmt(cold.peakRssDeltaMb)} MB`,
    `${rendered.width}x${rendered.height} PNG, ${fmt(rendered.png.length / 1024)} KB; goal ~1 s of the 5 s for \`report\``,
  );

  const warm: { ms: number; peakRssDeltaMb: number }[] = [];
  for (let i = 0; i < 5; i++) warm.push(await measured(() => renderReportPng(data)));
  warm.sort((a, b) => a.ms - b.ms);
  report(
    `report: render ${size}, warm (median of 5)`,
    `${fmt(warm[2]!.ms)} ms, peak RSS +${fmt(Math.max(...warm.map((w) => w.peakRssDeltaMb)))} MB (max)`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'mail-updater-bench-report-'));
  try {
    const dataFile = join(dir, 'report-data.json');
    writeFileSync(dataFile, JSON.stringify(data));
    const whole = wholeProcess(dataFile, join(dir, 'report.png'));
    if (whole === undefined)
      report('report: whole process', 'skipped', `no ${BUILT_RENDERER}: run npm run build first`);
    else
      report(
        `report: fresh node process, load + render ${size} + write PNG`,
        `${fmt(whole.ms)} ms, peak RSS ${fmt(whole.maxRssMb)} MB`,
        'goal for `report` incl. aggregation: < 5 s, < 250 MB',
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`Weekly picture benchmark, Node ${process.version}:`);
  await benchReport();
}
