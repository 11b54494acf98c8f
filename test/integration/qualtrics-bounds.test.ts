import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import type { QualtricsSettings } from '../../src/qualtrics/client.js';
import { syncParticipants } from '../../src/qualtrics/sync.js';
import { openStateDb } from '../../src/storage/state-db.js';
import {
  enrolment,
  type QualtricsStandIn,
  qualtricsEnv,
  startQualtricsStandIn,
} from '../support/qualtrics-stand-in.js';
import { useTestResources } from '../support/resources.js';
import { cli, makeWorkspace } from '../support/workspace.js';
import { zipBomb } from '../support/zip-bomb.js';

const study = useTestResources();
let qualtrics: QualtricsStandIn | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await qualtrics?.close();
  qualtrics = undefined;
  for (const close of closers.splice(0)) await close();
});

async function setUp(): Promise<{ env: Record<string, string>; before: Buffer }> {
  study.ws = makeWorkspace({ participants: 6 });
  qualtrics = await startQualtricsStandIn([enrolment('n1', 'Q7001', 'seven@example.org', 'Sev')]);
  return {
    env: { ...study.ws.env, ...qualtricsEnv(qualtrics.baseUrl) } as Record<string, string>,
    before: readFileSync(study.ws.fixture.rosterPath),
  };
}

async function syncInProcess(overrides: Partial<QualtricsSettings> = {}, dryRun = false) {
  const config = study.ws.config(qualtricsEnv(qualtrics!.baseUrl));
  const db = openStateDb(config.STATE_DB_PATH);
  try {
    return await syncParticipants(
      {
        db,
        config,
        logger: silentLogger(),
        now: () => new Date(),
        clientOverrides: { retryBaseMs: 10, firstPollMs: 10, maxAttempts: 1, ...overrides },
      },
      { dryRun },
    );
  } finally {
    db.close();
  }
}

const rosterUnchanged = (before: Buffer) => expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);

describe('what Qualtrics sends is bounded', () => {
  it('refuses a zip bomb (300 MB of zeros in a 300 KB ZIP that declares 1 KB) with a clear error', async () => {
    const { env, before } = await setUp();
    qualtrics!.behaviour.zipBytes = zipBomb(300, 1024);
    expect(qualtrics!.behaviour.zipBytes.length).toBeLessThan(400 * 1024);
    const result = await cli(['sync-participants'], env);
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toMatch(/inflates to more than it declares, over the limit of 200 MB uncompressed/);
    expect(out).toContain('MAX_EXPORT_UNCOMPRESSED_BYTES');
    expect(out).toContain('The roster was not changed.');
    expect(out).not.toMatch(/\n\s+at /);
    rosterUnchanged(before);
  });

  it('caps the download, by Content-Length before reading', async () => {
    const { before } = await setUp();
    qualtrics!.behaviour.zipBytes = zipBomb(300);
    await expect(syncInProcess({ maxDownloadBytes: 64 * 1024 })).rejects.toThrow(
      /download the export failed \(HTTP 200\): the answer is 0\.3 MB \(Content-Length\), over the limit of 0\.1 MB \(MAX_EXPORT_DOWNLOAD_BYTES\)/,
    );
    rosterUnchanged(before);
  });

  it('caps every JSON answer, with or without Content-Length', async () => {
    const { before } = await setUp();
    qualtrics!.behaviour.progressPadding = { bytes: 3 * 1024 * 1024, chunked: true };
    await expect(syncInProcess()).rejects.toThrow(
      /check the export failed \(HTTP 200\): the answer is more than 1 MB, over the limit of 1 MB \(MAX_JSON_RESPONSE_BYTES\)/,
    );
    qualtrics!.behaviour.progressPadding = { bytes: 3 * 1024 * 1024, chunked: false };
    await expect(syncInProcess()).rejects.toThrow(/the answer is 3 MB \(Content-Length\), over the limit of 1 MB/);
    rosterUnchanged(before);
  });
});

describe('the API token stays with QUALTRICS_BASE_URL', () => {
  it('refuses a redirect to another origin: the other server never sees X-API-TOKEN', async () => {
    const { env, before } = await setUp();
    const seen: IncomingHttpHeaders[] = [];
    const other = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
    qualtrics!.behaviour.fileRedirect = `http://127.0.0.1:${(other.address() as AddressInfo).port}/stolen`;
    const result = await cli(['sync-participants'], env);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /redirected to http:\/\/127\.0\.0\.1:\d+, another host than QUALTRICS_BASE_URL .* the API token was not sent there/,
    );
    expect(seen.map((h) => h['x-api-token'])).not.toContain(expect.any(String));
    expect(seen).toEqual([]);
    rosterUnchanged(before);
  });

  it('follows a redirect within the same origin, keeping the token', async () => {
    await setUp();
    qualtrics!.behaviour.fileRedirect = '?redirected';
    const summary = await syncInProcess({}, true);
    expect(summary.added).toEqual(['Q7001']);
    const file = qualtrics!.requests.filter((r) => r.path.includes('/file'));
    expect(file.map((r) => [r.path.endsWith('?redirected'), r.token !== undefined])).toEqual([
      [false, true],
      [true, true],
    ]);
  });
});
