import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { syncParticipants } from '../../src/qualtrics/sync.js';
import { openStateDb } from '../../src/storage/state-db.js';
import {
  enrolment,
  type QualtricsStandIn,
  qualtricsEnv,
  startQualtricsStandIn,
} from '../support/qualtrics-stand-in.js';
import { useTestResources } from '../support/resources.js';
import { cli, makeWorkspace, runCli } from '../support/workspace.js';

const study = useTestResources();
let qualtrics: QualtricsStandIn | undefined;
afterEach(async () => {
  await qualtrics?.close();
  qualtrics = undefined;
});

type Row = Record<string, string>;
const rosterRows = (): Row[] => parse(readFileSync(study.ws.fixture.rosterPath), { columns: true, bom: true }) as Row[];
const backups = (): string[] => readdirSync(dirname(study.ws.fixture.rosterPath)).filter((f) => f.includes('.bak-'));

async function setUp(
  responses: ReturnType<typeof enrolment>[] = [],
): Promise<{ env: Record<string, string>; before: Buffer; existing: Row[] }> {
  study.ws = makeWorkspace({ participants: 12 });
  qualtrics = await startQualtricsStandIn(responses);
  const existing = rosterRows();
  return {
    env: { ...study.ws.env, ...qualtricsEnv(qualtrics.baseUrl) } as Record<string, string>,
    before: readFileSync(study.ws.fixture.rosterPath),
    existing,
  };
}

const sync = (env: Record<string, string>, ...flags: string[]) => cli(['sync-participants', '--json', ...flags], env);

describe('sync-participants against a Qualtrics export server', () => {
  it('appends new participants, keeps the rest, backs up first, and a re-run changes nothing', async () => {
    const { env, before, existing } = await setUp();
    const known = existing[0]!;
    qualtrics!.responses.push(
      enrolment('a1', 'Q1001', 'new.one@example.org', 'Noa'),
      enrolment('a2', 'Q1002', 'new.two@example.org', 'Émile'),
      enrolment('a3', known.did!, known.email!, known.first_name!),
    );
    const first = await sync(env);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as { new: string[]; unchanged: number; written: boolean; backup: string };
    expect(summary).toMatchObject({ new: ['Q1001', 'Q1002'], unchanged: 1, written: true });
    const after = readFileSync(study.ws.fixture.rosterPath);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    const added = rosterRows().slice(existing.length);
    expect(added.map((r) => [r.did, r.email, r.first_name, r.status])).toEqual([
      ['Q1001', 'new.one@example.org', 'Noa', 'active'],
      ['Q1002', 'new.two@example.org', 'Émile', 'active'],
    ]);
    expect(readFileSync(summary.backup).equals(before)).toBe(true);
    // The new roster passes validation with the new rows in it.
    expect((await cli(['validate-participants', '--json'], env)).code).not.toBe(2);

    const again = await sync(env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ new: [], unchanged: 3, written: false });
    expect(readFileSync(study.ws.fixture.rosterPath).equals(after)).toBe(true);
    expect(backups()).toHaveLength(1);
  });

  it('ignores previews, spam and unfinished responses; the latest of duplicate DIDs wins', async () => {
    const { env, existing } = await setUp([
      enrolment('p1', 'Q2001', 'preview@example.org', 'Pre', { status: 1 }),
      enrolment('s1', 'Q2002', 'spam@example.org', 'Spam', { status: 8 }),
      enrolment('u1', 'Q2003', 'unfinished@example.org', 'Half', { finished: 0, progress: 40 }),
      enrolment('d1', 'Q2004', 'old.address@example.org', 'Dup', { recordedDate: '2026-11-20T09:00:00Z' }),
      enrolment('d2', 'Q2004', 'new.address@example.org', 'Dup', { recordedDate: '2026-11-22T09:00:00Z' }),
    ]);
    const result = await sync(env);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { new: string[]; ignored: Record<string, number> };
    expect(summary.new).toEqual(['Q2004']);
    expect(summary.ignored).toEqual({ not_normal: 2, unfinished: 1, older_duplicates: 1 });
    expect(
      rosterRows()
        .slice(existing.length)
        .map((r) => r.email),
    ).toEqual(['new.address@example.org']);
  });

  it('reports a changed e-mail as a conflict and an invalid one as rejected, without the addresses, and exits 1', async () => {
    const { env, existing } = await setUp();
    const known = existing[1]!;
    qualtrics!.responses.push(
      enrolment('c1', known.did!, 'changed.address@example.org', known.first_name!),
      enrolment('i1', 'Q3001', 'not-an-address', 'Ivo'),
      enrolment('ok', 'Q3002', 'fine@example.org', 'Fia'),
    );
    const result = await sync(env);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as {
      new: string[];
      conflicts: { did: string; columns: string[] }[];
      rejected: { did: string; reasons: string[] }[];
    };
    expect(summary.new).toEqual(['Q3002']);
    expect(summary.conflicts).toEqual([expect.objectContaining({ did: known.did, columns: ['email'] })]);
    expect(summary.rejected).toEqual([
      expect.objectContaining({ did: 'Q3001', reasons: [expect.stringContaining('email_invalid')] }),
    ]);
    expect(rosterRows().find((r) => r.did === known.did)!.email).toBe(known.email);
    expect(result.stdout + result.stderr).not.toContain('changed.address@example.org');
    expect(result.stdout + result.stderr).not.toContain(known.email!);
    const text = await sync(env, '--dry-run');
    expect(text.stdout).not.toContain('not-an-address');
  });

  it('--dry-run shows what would change and writes nothing', async () => {
    const { env, before } = await setUp([enrolment('n1', 'Q4001', 'dry@example.org', 'Dag')]);
    const result = await cli(['sync-participants', '--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('New: 1 (Q4001) — would be appended');
    expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);
    expect(backups()).toHaveLength(0);
  });

  it("401 with Qualtrics' error body → exit 2 naming the token, status, errorCode and requestId; roster unchanged", async () => {
    const { env, before } = await setUp([enrolment('n1', 'Q5001', 'x@example.org', 'X')]);
    const result = await sync({ ...env, QUALTRICS_API_TOKEN: 'wrong-token' });
    expect(result.code).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { message: string } }).error.message;
    for (const part of ['QUALTRICS_API_TOKEN', 'HTTP 401', 'AUTH_1.0', 'Invalid API token', 'req-auth-401'])
      expect(error).toContain(part);
    expect(result.stderr).not.toContain('wrong-token');
    expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);
  });

  it('429 then success: waits for Retry-After and carries on', async () => {
    const { env } = await setUp([enrolment('n1', 'Q6001', 'rate@example.org', 'Rae')]);
    qualtrics!.behaviour.rateLimitStarts = 1;
    const started = Date.now();
    const result = await sync(env);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(qualtrics!.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ new: ['Q6001'] });
  });

  it('retries 5xx with back-off and carries on', async () => {
    const { env } = await setUp([enrolment('n1', 'Q6101', 'five@example.org', 'Fay')]);
    qualtrics!.behaviour.serverErrors = 2;
    const config = study.ws.config(qualtricsEnv(qualtrics!.baseUrl));
    const db = openStateDb(config.STATE_DB_PATH);
    try {
      const summary = await syncParticipants(
        {
          db,
          config,
          logger: silentLogger(),
          now: () => new Date(),
          clientOverrides: { retryBaseMs: 20, firstPollMs: 20 },
        },
        { dryRun: true },
      );
      expect(summary.added).toEqual(['Q6101']);
      expect(qualtrics!.requests.filter((r) => /ES_\d+$/.test(r.path))).toHaveLength(4);
    } finally {
      db.close();
    }
    void env;
  });

  it.each([
    [
      'the export fails',
      (q: QualtricsStandIn) => {
        q.behaviour.exportStatus = 'failed';
      },
      /export job failed/,
    ],
    [
      'the export is gone (404)',
      (q: QualtricsStandIn) => {
        q.behaviour.progressGone = true;
      },
      /check the export failed \(HTTP 404\): RS_404 Export not found \[requestId req-404\]/,
    ],
    [
      'the ZIP is corrupt',
      (q: QualtricsStandIn) => {
        q.behaviour.zip = 'corrupt';
      },
      /not a readable ZIP/,
    ],
    [
      'the ZIP holds two files',
      (q: QualtricsStandIn) => {
        q.behaviour.zip = 'two-entries';
      },
      /holds 2 files/,
    ],
  ])('%s → exit 1 with the reason, roster byte-for-byte unchanged', async (_label, arrange, reason) => {
    const { env, before } = await setUp([enrolment('n1', 'Q7001', 'z@example.org', 'Zoe')]);
    arrange(qualtrics!);
    const result = await sync(env);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toMatch(reason);
    expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);
    expect(backups()).toHaveLength(0);
    expect(existsSync(`${study.ws.fixture.rosterPath}.bak`)).toBe(false);
  });

  it('an export that never completes → gives up after the timeout', async () => {
    const { env, before } = await setUp([enrolment('n1', 'Q8001', 't@example.org', 'Tim')]);
    qualtrics!.behaviour.pollsBeforeComplete = Infinity;
    const config = study.ws.config(qualtricsEnv(qualtrics!.baseUrl));
    const db = openStateDb(config.STATE_DB_PATH);
    try {
      await expect(
        syncParticipants(
          {
            db,
            config,
            logger: silentLogger(),
            now: () => new Date(),
            clientOverrides: { exportTimeoutMs: 600, firstPollMs: 50, maxPollMs: 100 },
          },
          { dryRun: false },
        ),
      ).rejects.toThrow(/did not complete within 1 s \(last status inProgress/);
    } finally {
      db.close();
    }
    expect(qualtrics!.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(3);
    expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);
    void env;
  });

  it('logs a proxied-request notice as a warning naming the right host', async () => {
    const { env } = await setUp([]);
    qualtrics!.behaviour.notice =
      'Request proxied. For faster response times, use this host instead: sjc1.qualtrics.com';
    const result = await sync({ ...env, LOG_LEVEL: 'warn' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('QUALTRICS_BASE_URL=https://sjc1.qualtrics.com');
  });

  it('a disk write failure mid-way leaves the roster unchanged and the backup intact', async () => {
    // A real failing write: the file-size limit lets the backup (the roster's size) through and
    // stops the new roster (bigger) part-way, with EFBIG, as a full disk would.
    study.ws = makeWorkspace({ participants: 2500, days: 1 }); // roster well above the state DB's files
    qualtrics = await startQualtricsStandIn(
      Array.from({ length: 60 }, (_, i) =>
        enrolment(`w${i}`, `Q9${String(i).padStart(3, '0')}`, `new${i}@example.org`, `Name${i}`),
      ),
    );
    const env = { ...study.ws.env, ...qualtricsEnv(qualtrics.baseUrl) } as Record<string, string>;
    await cli(['status'], env); // creates the state DB before the limit applies
    const before = readFileSync(study.ws.fixture.rosterPath);
    const limitKb = Math.ceil(before.length / 1024) + 1;
    const child = runCli(['sync-participants'], env, { fileSizeLimitKb: limitKb });
    const result = await child.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Could not write the new roster .*EFBIG/);
    expect(result.stderr).toContain('The roster was not changed');
    expect(readFileSync(study.ws.fixture.rosterPath).equals(before)).toBe(true);
    expect(backups()).toHaveLength(1);
    expect(readFileSync(`${dirname(study.ws.fixture.rosterPath)}/${backups()[0]}`).equals(before)).toBe(true);
    expect(readdirSync(dirname(study.ws.fixture.rosterPath)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('two syncs at once cannot interleave: the second is refused while the first holds the roster', async () => {
    const { env } = await setUp([enrolment('n1', 'Q9901', 'lock@example.org', 'Lo')]);
    qualtrics!.behaviour.pollsBeforeComplete = 4; // about 3 s of polling
    const first = runCli(['sync-participants'], env);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const second = await sync(env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already syncing the roster');
    const done = await first.done;
    expect(done.code).toBe(0);
    expect(rosterRows().filter((r) => r.did === 'Q9901')).toHaveLength(1);
  });
});
