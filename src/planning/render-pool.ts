/**
 * Where messages are rendered. From the built package, in a worker thread with a small, capped
 * heap: rendering makes a lot of short-lived garbage, and in its own heap that garbage is
 * collected promptly instead of swelling the main process (a 100,000-message dry run peaked at
 * ~450 MB rendering in-thread, ~300 MB with the worker), and the main thread records the ledger
 * in parallel. Run from TypeScript sources (the tests), it renders in-thread: same code, no worker.
 *
 * One participant's message must not sink the run: a message that throws comes back as a failed
 * result (render-message.ts), and if the worker itself dies (out of memory on one participant's
 * data), the batch is rendered again one message at a time on a fresh worker, so that only the
 * message that kills it fails.
 */
import { Worker } from 'node:worker_threads';
import { type RenderJob, type RenderResult, type RenderSettings, renderAndWrite } from './render-message.js';

export interface Renderer {
  render(jobs: RenderJob[]): Promise<RenderResult[]>;
  close(): Promise<void>;
}

const workerUrl = new URL('./render-worker.js', import.meta.url);
const compiled = import.meta.url.endsWith('.js');

/** The worker stopped while rendering (ran out of memory, crashed): not the batch's own error. */
class WorkerDied extends Error {
  override readonly name = 'WorkerDied';
}

interface Pending {
  resolve: (r: RenderResult[]) => void;
  reject: (e: Error) => void;
}

/** One worker; once it has died it stays dead (`alive` false) and a new one is started. */
function startWorker(settings: RenderSettings): { worker: Worker; alive: () => boolean; waiting: Pending[] } {
  const worker = new Worker(workerUrl, {
    workerData: settings,
    resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
  });
  let alive = true;
  const waiting: Pending[] = [];
  const died = (error: Error): void => {
    alive = false;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('message', (reply: { results?: RenderResult[]; error?: string }) => {
    const next = waiting.shift();
    if (reply.error !== undefined) next?.reject(new Error(`Rendering failed: ${reply.error}`));
    else next?.resolve(reply.results ?? []);
  });
  worker.on('error', (error: Error & { code?: string }) =>
    died(
      new WorkerDied(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'the renderer ran out of memory' : 'the renderer crashed',
      ),
    ),
  );
  worker.on('exit', (code) => died(new WorkerDied(`the renderer stopped (exit code ${code})`)));
  return { worker, alive: () => alive, waiting };
}

export function createRenderer(settings: RenderSettings): Renderer {
  if (!compiled) {
    return { render: (jobs) => renderAndWrite(settings, jobs), close: async () => undefined };
  }
  let current = startWorker(settings);
  const once = (jobs: RenderJob[]): Promise<RenderResult[]> => {
    if (!current.alive()) current = startWorker(settings);
    const { worker, waiting } = current;
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      worker.postMessage(jobs);
    });
  };
  const render = async (jobs: RenderJob[]): Promise<RenderResult[]> => {
    try {
      return await once(jobs);
    } catch (error) {
      if (!(error instanceof WorkerDied)) throw error;
      if (jobs.length === 1) return [{ did: jobs[0]!.did, error: error.message }];
      const results: RenderResult[] = [];
      for (const job of jobs) results.push(...(await render([job])));
      return results;
    }
  };
  return {
    render,
    close: async () => {
      current.worker.removeAllListeners('exit');
      if (current.alive()) await current.worker.terminate();
    },
  };
}
