import { join } from 'node:path';

/** Where a run's files live: outbox/dry-run/<D>/<DID>.eml and outbox/sent/<D>/<DID>.eml. */
export const outboxPaths = (outboxDir: string, reportDate: string) => ({
  dryRunDir: join(outboxDir, 'dry-run', reportDate),
  sentDir: join(outboxDir, 'sent', reportDate),
  dryRunFile: (did: string) => join(outboxDir, 'dry-run', reportDate, `${did}.eml`),
  sentFile: (did: string) => join(outboxDir, 'sent', reportDate, `${did}.eml`),
});
