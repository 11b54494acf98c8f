/** Worker-thread entry for render-pool.ts: renders and writes the batches it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { type RenderJob, type RenderSettings, renderAndWrite } from './render-message.js';

const settings = workerData as RenderSettings;
parentPort?.on('message', (jobs: RenderJob[]) => {
  try {
    parentPort?.postMessage({ results: renderAndWrite(settings, jobs) });
  } catch (error) {
    parentPort?.postMessage({ error: (error as Error).message });
  }
});
