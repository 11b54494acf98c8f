/**
 * A child process's own peak memory, for the benchmarks that run the CLI as a user would.
 *
 * Not `process.resourceUsage().maxRSS`: on Linux a spawned child inherits its parent's high-water
 * mark across fork and exec, so every child of a bench process that once held 300 MB reported at
 * least 300 MB (a whole report looked like 309 MB; it peaks at about 190). The kernel's VmHWM in
 * /proc/self/status is the new program's own; maxRSS is the fallback where there is no /proc.
 */

import { join } from 'node:path';
import { NODE_FLAGS, RUNTIME_ENV } from '../../src/util/runtime-settings.js';

/** `node --require <this>`: prints `MAXRSS=<KiB> CPU=<µs>` on stderr as the child exits. */
export const PEAK_RSS_HOOK = join(import.meta.dirname, 'peak-rss-hook.cjs');

/** What PEAK_RSS_HOOK printed: peak RSS in MiB and CPU time in ms, or undefined if nothing was printed. */
export function peakOf(stderr: string): { rssMb: number; cpuMs: number } | undefined {
  // The last reading: the process's own, printed as it exits.
  const [, kib, cpu] = [...stderr.matchAll(/MAXRSS=(\d+) CPU=(\d+)/g)].at(-1) ?? [];
  if (kib === undefined || cpu === undefined) return undefined;
  return { rssMb: Number(kib) / 1024, cpuMs: Number(cpu) / 1000 };
}

/**
 * `node` arguments and environment for running the CLI as the service runs it (src/util/runtime-settings.ts),
 * reporting its peak memory: `spawn(process.execPath, [...measuredNode(), CLI, ...args], { env: measuredEnv(env) })`.
 */
export const measuredNode = (): string[] => [...NODE_FLAGS, '--require', PEAK_RSS_HOOK];
export const measuredEnv = <T extends object>(env: T): T & Record<string, string> => ({ ...RUNTIME_ENV, ...env });
