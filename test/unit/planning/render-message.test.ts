import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../../src/mail/templates.js';
import { type RenderJob, renderAndWrite } from '../../../src/planning/render-message.js';
import { complianceRow } from '../../support/compliance-rows.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const job = (did: string, fields: Record<string, string> = {}): RenderJob => ({
  did,
  firstName: 'Ana',
  lastName: 'Lima',
  email: `${did.toLowerCase()}@example.org`,
  fields: { first_name: 'Ana', ...fields },
  data: complianceRow({ did }),
});

describe('rendering a batch', () => {
  it('returns a failed result for a message that throws, and renders the others', async () => {
    dir = mkdtempSync(join(tmpdir(), 'render-'));
    const bad = job('P002');
    Object.defineProperty(bad.fields, 'site', {
      enumerable: true,
      get: () => {
        throw new TypeError('secret value ana@example.org could not be read');
      },
    });
    const results = await renderAndWrite(
      {
        runId: 'run1',
        dateIso: '2026-11-30T09:00:00Z',
        reportDate: '2026-11-29',
        study: { studyTz: 'UTC' },
        from: { address: 'study@example.org' },
        replyTo: undefined,
        redirectTo: undefined,
        templates: loadTemplates(undefined),
        outDir: dir,
      },
      [job('P001'), bad, job('P003')],
    );
    expect(results.map((r) => ('error' in r ? [r.did, r.error] : [r.did, 'ok']))).toEqual([
      ['P001', 'ok'],
      ['P002', 'TypeError'],
      ['P003', 'ok'],
    ]);
    expect(readdirSync(dir).sort()).toEqual(['P001.eml', 'P003.eml']);
  });
});

describe('participants whose data cannot make a correct message', () => {
  const settings = (outDir: string, html = '<p>{{greeting}}</p>') => ({
    runId: 'run1',
    dateIso: '2026-11-30T09:00:00Z',
    reportDate: '2026-11-29',
    study: { studyTz: 'UTC' },
    from: { address: 'study@example.org' },
    replyTo: undefined,
    redirectTo: undefined,
    templates: { ...loadTemplates(undefined), html, hash: `test-${html}` },
    outDir,
  });

  it('blocks impossible data (naming field and numbers) and empty printed fields; the others are written', async () => {
    dir = mkdtempSync(join(tmpdir(), 'render-'));
    const impossible = {
      ...job('P002'),
      data: complianceRow({ did: 'P002', surveys_completed: 5, surveys_expected: 4 }),
    };
    const results = await renderAndWrite(settings(dir, '<p>{{greeting}} {{site}}</p>'), [
      job('P001', { site: 'North' }),
      impossible,
      job('P003', { site: '' }),
    ]);
    expect(
      results.map((r) =>
        'blocked' in r ? [r.did, r.blocked, r.field, r.detail] : [r.did, 'error' in r ? r.error : 'ok'],
      ),
    ).toEqual([
      ['P001', 'ok'],
      ['P002', 'impossible_data', 'surveys_completed', 'surveys_completed (5) is more than surveys_expected (4)'],
      ['P003', 'template_field_empty', 'site', '{{site}} would be empty in this message'],
    ]);
    expect(readdirSync(dir)).toEqual(['P001.eml']);
  });

  it('an empty first name is not a blank: the default greeting says "Hello,"', async () => {
    dir = mkdtempSync(join(tmpdir(), 'render-'));
    const results = await renderAndWrite(settings(dir), [job('P001', { first_name: '' })]);
    expect(results[0]).not.toHaveProperty('blocked');
    expect(readFileSync(join(dir, 'P001.eml'), 'utf8')).toContain('Hello,\r\n');
  });
});
