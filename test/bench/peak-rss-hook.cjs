// Preloaded with `node --require` (peak-rss.ts): prints `MAXRSS=<KiB> CPU=<µs>` on stderr as the
// process exits. CommonJS, not an ES module passed to --import, which made Node set up its ES
// module loader before the CLI (itself one CommonJS file) even started: 40-100 ms on every run.
// A --require'd file runs in every worker thread too: only the main thread reports, at the
// process's own exit (a worker's exit came first and was taken for the process's peak).
'use strict';
const { readFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');

if (isMainThread)
  process.on('exit', () => {
    const usage = process.resourceUsage();
    let kib = usage.maxRSS;
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) kib = Number(m[1]);
    } catch {}
    process.stderr.write(`MAXRSS=${kib} CPU=${usage.userCPUTime + usage.systemCPUTime}\n`);
  });
