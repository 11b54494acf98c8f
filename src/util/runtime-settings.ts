/**
 * How the bot's process is best started: `npm start`, contrib/mail-updater.service and the bench
 * use these (test/unit/runtime-settings.test.ts keeps them in step). Both keep a long dry run's
 * memory from growing with the study's size instead of with what it holds (measured at 10,000
 * and 100,000 participants; README, Performance):
 *
 * - V8 doubles its young generation, up to 16 MB a half on Node 20 (32 MB on 24), once enough
 *   objects have survived collections since the last growth: a long run's in-flight batches add
 *   up to that sooner or later, +17 MB at 100,000 participants. Capped at 4 MB the dry run
 *   measured no slower. It can only be set when Node starts.
 * - glibc's malloc raises its mmap threshold each time a large block is freed, after which
 *   blocks up to that size come from heaps that fragment over a long run (+19 MB at 100,000).
 *   A fixed threshold keeps large blocks in mmap, returned to the system when freed. Other C
 *   libraries ignore the variable.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
export const RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };
