/**
 * Where messages are rendered. From the built package, in a worker thread with a small, capped
 * heap: rendering makes a lot of short-lived garbage, and in its own heap that garbage is
 * collected promptly instead of swelling the main process (a 100,000-message dry run peaked at
 * ~450 MB rendering in-thread, ~300 MB with the worker), and the main thread records the ledger
 * in parallel. Run from TypeScript sources (the tests), it renders in-thread: same code, no worker.
 */
import { Worker } from 'node:worker_threads';
import { type RenderJob, type RenderResult, type RenderSettings, renderAndWrite } from './render-message.js';

export interface Renderer {
  render(jobs: RenderJob[]): Promise<RenderResult[]>;
  close(): Promise<void>;
}

const workerUrl = new URL('./render-worker.js', import.meta.url);
const compiled = import.meta.url.endsWith('.js');

export function createRenderer(settings: RenderSettings): Renderer {
  if (!compiled) {
    return { render: async (jobs) => renderAndWrite(settings, jobs), close: async () => undefined };
  }
  const worker = new Worker(workerUrl, {
    workerData: settings,
    resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
  });
  const waiting: { resolve: (r: RenderResult[]) => void; reject: (e: Error) => void }[] = [];
  const failAll = (error: Error): void => {
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('message', (reply: { results?: RenderResult[]; error?: string }) => {
    const next = waiting.shift();
    if (reply.error !== undefined) next?.reject(new Error(`Rendering failed: ${reply.error}`));
    else next?.resolve(reply.results ?? []);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`The rendering worker stopped (exit code ${code}).`)));
  return {
    render: (jobs) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(jobs);
      }),
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
