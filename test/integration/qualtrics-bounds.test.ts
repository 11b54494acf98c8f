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
  it('refuses a zip bomb (250 MB of zeros in a 260 KB ZIP) from its central directory, before inflating', async () => {
    const { env, before } = await setUp();
    qualtrics!.behaviour.zipBytes = zipBomb(250);
    expect(qualtrics!.behaviour.zipBytes.length).toBeLessThan(300 * 1024);
    const result = await cli(['sync-participants'], env);
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toContain(
      'The Qualtrics export declares 250 MB uncompressed, over the limit of 200 MB uncompressed (MAX_EXPORT_UNCOMPRESSED_BYTES)',
    );
    expect(out).toContain('The roster was not changed.');
    expect(out).not.toMatch(/\n\s+at /);
    rosterUnchanged(before);
  });

  it('stops inflating at the cap when the ZIP lies about its size', async () => {
    const { before } = await setUp();
    qualtrics!.behaviour.zipBytes = zipBomb(300, 1024);
    await expect(syncInProcess({ maxUncompressedBytes: 8 * 1024 * 1024 })).rejects.toThrow(
      'The Qualtrics export inflates to more than it declares, over the limit of 8 MB uncompressed (MAX_EXPORT_UNCOMPRESSED_BYTES)',
    );
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

describe('values a spreadsheet would run are not imported', () => {
  it('rejects, by DID, responses whose text starts with =, +, -, @, tab or CR; the rest are added', async () => {
    const { env, before } = await setUp();
    qualtrics!.responses.push(
      enrolment('f1', 'Q7101', 'f1@example.org', '=HYPERLINK("http://evil.example","Click")'),
      enrolment('f2', 'Q7102', '-cmd@example.org', 'Ann'),
      enrolment('f3', 'Q7103', 'f3@example.org', 'Bea', { Site: '@SUM(A1:A9)' }),
      enrolment('f4', 'Q7104', 'f4@example.org', 'Cy', { Last: '+1+cmd|calc' }),
      enrolment('f5', '=1+2', 'f5@example.org', 'Dee'),
      enrolment('f6', 'Q7106', 'f6@example.org', 'x'.repeat(5000)),
      enrolment('ok', 'Q7107', 'fine@example.org', 'Eve', { Site: '-', Last: "O'Brien-Smith" }),
    );
    const map = 'did=DID,email=Email,first_name=FirstName,last_name=Last,site=Site';
    const result = await cli(['sync-participants', '--json'], { ...env, QUALTRICS_FIELD_MAP: map });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as { new: string[]; rejected: { did: string; reasons: string[] }[] };
    expect(summary.new).toEqual(['Q7001', 'Q7107']);
    expect(summary.rejected.map((r) => [r.did, r.reasons.map((x) => x.split(':')[0])])).toEqual([
      ['Q7101', ['formula_like']],
      ['Q7102', ['formula_like']],
      ['Q7103', ['formula_like']],
      ['Q7104', ['formula_like']],
      ['response:R_f5', ['formula_like']],
      ['Q7106', ['cell_too_large']],
    ]);
    expect(summary.rejected[1]!.reasons[0]).toContain('The value of email starts with "-"');
    const out = result.stdout + result.stderr;
    for (const hidden of ['HYPERLINK', '-cmd@', 'SUM(', 'calc', '=1+2', 'xxxxxxxxxx'])
      expect(out).not.toContain(hidden);
    const after = readFileSync(study.ws.fixture.rosterPath, 'utf8');
    expect(after.startsWith(before.toString('utf8'))).toBe(true);
    expect(after.slice(before.length).trim().split('\n')).toHaveLength(2);
  });
});
