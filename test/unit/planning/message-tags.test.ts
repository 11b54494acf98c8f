import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { returnPathToken, unsubscribeToken } from '../../../src/bounces/token.js';
import { loadConfig } from '../../../src/config.js';
import { loadTemplates } from '../../../src/mail/templates.js';
import { renderAndWrite } from '../../../src/planning/render-message.js';
import { bounceSettings } from '../../../src/planning/return-path.js';
import { envelopeOf, wireBytes } from '../../../src/sending/eml.js';
import { complianceRow } from '../../support/compliance-rows.js';

const SECRET = 'sixteen-plus-characters-secret';
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

async function render(extra: {
  returnPath?: string;
  unsubscribeTo?: string;
  tokenSecret?: string;
  publicUrl?: string;
}) {
  dir = mkdtempSync(join(tmpdir(), 'tags-'));
  const [result] = await renderAndWrite(
    {
      runId: 'run1',
      dateIso: '2026-11-30T09:00:00Z',
      reportDate: '2026-11-29',
      from: { address: 'study@example.org' },
      replyTo: undefined,
      redirectTo: undefined,
      templates: loadTemplates(undefined),
      study: { studyTz: 'UTC' },
      outDir: dir,
      ...extra,
    },
    [
      {
        did: 'P001',
        firstName: 'Ana',
        lastName: 'Lima',
        email: 'ana@example.net',
        fields: { first_name: 'Ana', site: 'North' },
        data: complianceRow({ did: 'P001' }),
      },
    ],
  );
  return { result: result!, bytes: readFileSync(join(dir, 'P001.eml')) };
}

describe('envelope sender and List-Unsubscribe at render time', () => {
  it('tags the Return-Path and the unsubscribe address per message; the send takes the envelope from the file and drops Return-Path', async () => {
    const { result, bytes } = await render({
      returnPath: 'bounces+@example.org',
      unsubscribeTo: 'study@example.org',
      tokenSecret: SECRET,
    });
    const rp = returnPathToken(SECRET, 'run1', 'P001');
    const unsub = unsubscribeToken(SECRET, 'run1', 'P001');
    expect(result).toMatchObject({ returnPathToken: rp, unsubscribeToken: unsub });
    const text = bytes.toString('utf8');
    expect(text.startsWith(`Return-Path: <bounces+${rp}@example.org>\r\nFrom: `)).toBe(true);
    expect(text).toContain(
      `List-Unsubscribe: <mailto:study+unsub-${unsub}@example.org?subject=unsubscribe%20${unsub}>\r\n`,
    );
    expect(envelopeOf(bytes)).toEqual({ from: `bounces+${rp}@example.org`, to: 'ana@example.net' });
    const wire = wireBytes(bytes).toString('utf8');
    expect(wire.startsWith('From: ')).toBe(true);
    expect(wire).not.toContain('Return-Path');
    expect(bytes.toString('utf8').endsWith(wire)).toBe(true);
  });

  it('without MAIL_RETURN_PATH the envelope is the From address and the bytes go out unchanged', async () => {
    const { result, bytes } = await render({ unsubscribeTo: 'study@example.org' });
    expect(result).not.toHaveProperty('returnPathToken');
    expect(envelopeOf(bytes)?.from).toBe('study@example.org');
    expect(wireBytes(bytes)).toBe(bytes);
    // No secret, no token: a plain request a person reads.
    expect(bytes.toString('utf8')).toContain('List-Unsubscribe: <mailto:study@example.org?subject=unsubscribe>');
  });

  it('defaults MAIL_UNSUBSCRIBE_TO to the reply address, then MAIL_FROM', () => {
    const base = { MAIL_FROM: 'Study <study@example.org>' };
    expect(bounceSettings(loadConfig(base)).unsubscribeTo).toBe('study@example.org');
    expect(bounceSettings(loadConfig({ ...base, MAIL_REPLY_TO: 'team@example.org' })).unsubscribeTo).toBe(
      'team@example.org',
    );
    expect(
      bounceSettings(loadConfig({ ...base, MAIL_REPLY_TO: 'team@example.org', MAIL_UNSUBSCRIBE_TO: 'u@example.org' }))
        .unsubscribeTo,
    ).toBe('u@example.org');
  });

  it('a tagged MAIL_RETURN_PATH needs BOUNCE_TOKEN_SECRET, which is a secret of 16+ characters', () => {
    expect(() => loadConfig({ MAIL_RETURN_PATH: 'bounces+@example.org' })).toThrow(/BOUNCE_TOKEN_SECRET/);
    expect(() => loadConfig({ MAIL_RETURN_PATH: 'bounces+@example.org', BOUNCE_TOKEN_SECRET: 'short' })).toThrow(
      /at least 16/,
    );
    expect(() => loadConfig({ MAIL_RETURN_PATH: 'bounces@example.org' })).not.toThrow();
    expect(loadConfig({ IMAP_HOST: 'imap.example.org' }).SCHEDULE_BOUNCE_CRON).toBe('*/15 * * * *');
    expect(loadConfig({}).SCHEDULE_BOUNCE_CRON).toBeUndefined();
  });

  it('with PUBLIC_URL: the one-click https URI after the mailto (folded), List-Unsubscribe-Post, both sent as previewed', async () => {
    const { result, bytes } = await render({
      unsubscribeTo: 'study@example.org',
      tokenSecret: SECRET,
      publicUrl: 'https://bot.example.org/mu',
    });
    const unsub = unsubscribeToken(SECRET, 'run1', 'P001');
    expect(result).toMatchObject({ unsubscribeToken: unsub });
    const text = bytes.toString('utf8');
    expect(text).toContain(
      `\r\nList-Unsubscribe: <mailto:study+unsub-${unsub}@example.org?subject=unsubscribe%20${unsub}>,\r\n <https://bot.example.org/mu/unsubscribe?t=${unsub}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`,
    );
    expect(wireBytes(bytes).toString('utf8')).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    // Without a token there is no one-click link (config.ts refuses PUBLIC_URL without the secret).
    const untokened = await render({ unsubscribeTo: 'study@example.org', publicUrl: 'https://bot.example.org' });
    expect(untokened.bytes.toString('utf8')).not.toContain('https://');
    expect(untokened.bytes.toString('utf8')).not.toContain('List-Unsubscribe-Post');
    // PUBLIC_URL alone (no mailto target) still gives the https URI.
    const httpsOnly = (await render({ tokenSecret: SECRET, publicUrl: 'https://bot.example.org' })).bytes.toString(
      'utf8',
    );
    expect(httpsOnly).toContain(`\r\nList-Unsubscribe: <https://bot.example.org/unsubscribe?t=${unsub}>\r\n`);
    expect(
      bounceSettings(loadConfig({ BOUNCE_TOKEN_SECRET: SECRET, PUBLIC_URL: 'https://bot.example.org/' })),
    ).toMatchObject({
      publicUrl: 'https://bot.example.org',
    });
  });
});
