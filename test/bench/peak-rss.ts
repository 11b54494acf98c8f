/**
 * A child process's own peak memory, for the benchmarks that run the CLI as a user would.
 *
 * Not `process.resourceUsage().maxRSS`: on Linux a spawned child inherits its parent's high-water
 * mark across fork and exec, so every child of a bench process that once held 300 MB reported at
 * least 300 MB (a whole report looked like 309 MB; it peaks at about 190). The kernel's VmHWM in
 * /proc/self/status is the new program's own; maxRSS is the fallback where there is no /proc.
 */

import { NODE_FLAGS, RUNTIME_ENV } from '../../src/util/runtime-settings.js';

/** `node --import <this>`: prints `MAXRSS=<KiB> CPU=<µs>` on stderr as the child exits. */
export const PEAK_RSS_IMPORT =
  'data:text/javascript,' +
  encodeURIComponent(
    [
      "import { readFileSync } from 'node:fs';",
      "process.on('exit', () => {",
      '  const usage = process.resourceUsage();',
      '  let kib = usage.maxRSS;',
      "  try { const m = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8')); if (m) kib = Number(m[1]); } catch {}",
      "  process.stderr.write('MAXRSS=' + kib + ' CPU=' + (usage.userCPUTime + usage.systemCPUTime) + '\\n');",
      '});',
    ].join('\n'),
  );

/** What PEAK_RSS_IMPORT printed: peak RSS in MiB and CPU time in ms, or undefined if nothing was printed. */
export function peakOf(stderr: string): { rssMb: number; cpuMs: number } | undefined {
  const [, kib, cpu] = /MAXRSS=(\d+) CPU=(\d+)/.exec(stderr) ?? [];
  if (kib === undefined || cpu === undefined) return undefined;
  return { rssMb: Number(kib) / 1024, cpuMs: Number(cpu) / 1000 };
}

/**
 * `node` arguments and environment for running the CLI as the service runs it (src/util/runtime-settings.ts),
 * reporting its peak memory: `spawn(process.execPath, [...measuredNode(), CLI, ...args], { env: measuredEnv(env) })`.
 */
export const measuredNode = (): string[] => [...NODE_FLAGS, '--import', PEAK_RSS_IMPORT];
export const measuredEnv = <T extends object>(env: T): T & Record<string, string> => ({ ...RUNTIME_ENV, ...env });
