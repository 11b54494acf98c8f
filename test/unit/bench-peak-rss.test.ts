/**
 * The bench's peak-memory reading (test/bench/peak-rss.ts): the README's memory figures come
 * from it. A --require'd hook runs in worker threads too; the day-query worker's exit once printed
 * a reading before the process's own, and that one was taken (106 MB for a 122 MB dry run).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { measuredNode, peakOf } from '../bench/peak-rss.js';

describe("the bench's peak memory", () => {
  it('is read once, at the process exit, after a worker thread has come and gone', () => {
    // The main thread grows past 200 MB only after its worker has exited.
    const script = `
      const { Worker } = require('node:worker_threads');
      new Worker('setTimeout(() => {}, 10)', { eval: true }).on('exit', () => {
        const held = [];
        for (let i = 0; i < 3e6; i++) held.push({ i });
        globalThis.held = held;
      });`;
    const run = spawnSync(process.execPath, [...measuredNode(), '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.match(/MAXRSS=/g)).toHaveLength(1);
    expect(peakOf(run.stderr)?.rssMb).toBeGreaterThan(150);
  });

  it('takes the last reading when there are several', () => {
    expect(peakOf('MAXRSS=1024 CPU=1000\nMAXRSS=204800 CPU=2000\n')).toEqual({ rssMb: 200, cpuMs: 2 });
    expect(peakOf('nothing')).toBeUndefined();
  });
});
