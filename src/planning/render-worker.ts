/** Worker-thread entry for render-pool.ts: renders and writes the batches it is sent, in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { type RenderJob, type RenderSettings, renderAndWrite } from './render-message.js';

const settings = workerData as RenderSettings;
// One batch at a time: the pool matches replies to batches in the order it sent them.
let previous: Promise<void> = Promise.resolve();
parentPort?.on('message', (jobs: RenderJob[]) => {
  previous = previous.then(() =>
    renderAndWrite(settings, jobs).then(
      (results) => parentPort?.postMessage({ results }),
      (error: unknown) => parentPort?.postMessage({ error: (error as Error).message }),
    ),
  );
});
