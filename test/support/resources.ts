/** The workspace and SMTP sink a test creates, closed and removed after each test. */
import { afterEach } from 'vitest';
import type { SmtpSink } from './smtp-sink.js';
import type { Workspace } from './workspace.js';

export interface TestResources {
  ws: Workspace;
  sink: SmtpSink | undefined;
}

export function useTestResources(): TestResources {
  const resources = { sink: undefined } as TestResources;
  afterEach(async () => {
    await resources.sink?.close();
    resources.sink = undefined;
    resources.ws?.cleanup();
  });
  return resources;
}
