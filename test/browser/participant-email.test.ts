/**
 * The HTML part in a real browser engine at a phone's width (375 px) and a desktop pane's
 * (800 px): no horizontal scrolling. Screenshots go to a temp folder (printed), never the repo.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTemplates, renderTemplates } from '../../src/mail/templates.js';
import { buildView } from '../../src/mail/view-model.js';
import { complianceRow } from '../support/compliance-rows.js';
import { dumpDom, findChromium, screenshot } from './chromium.js';

const chromium = findChromium();
const title = chromium ? '' : ' — skipped: install chromium (Debian package `chromium`)';

/** Written into the page: the measurements, as an attribute of the host page --dump-dom shows. */
const MEASURE = `<script>
addEventListener('load', () => {
  const s = document.scrollingElement;
  parent.document.body.setAttribute('data-measure', JSON.stringify({ scrollWidth: s.scrollWidth, innerWidth: innerWidth }));
});
</script>`;

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * Headless Chromium will not make a window narrower than 500 px, so the message is shown in an
 * iframe of exactly `width` px (a srcdoc frame shares the host's origin and can report back).
 */
function hostPage(email: string, width: number): string {
  const inner = email.includes('</body>') ? email.replace('</body>', `${MEASURE}</body>`) : `${email}${MEASURE}`;
  return `<!DOCTYPE html><html><body style="margin:0"><iframe style="width:${width}px;height:1600px;border:0" srcdoc="${attr(inner)}"></iframe></body></html>`;
}

async function measure(page: string, width: number): Promise<{ scrollWidth: number; innerWidth: number }> {
  const dom = await dumpDom(chromium!, pathToFileURL(page).href, Math.max(width + 40, 600));
  const match = /<body[^>]*data-measure="([^"]*)"/.exec(dom);
  if (!match) throw new Error('the page did not report its measurements');
  return JSON.parse(match[1]!.replace(/&quot;/g, '"'));
}

function html(overrides: Parameters<typeof complianceRow>[0] = {}): string {
  const built = buildView(
    {
      reportDate: '2026-11-29',
      studyTz: 'UTC',
      studyName: 'SleepWell Sleep and Activity Study',
      studyContact: 'sleepwell-team@example.org',
    },
    { first_name: 'Maximiliane-Josephine', timezone: 'America/New_York' },
    complianceRow(overrides),
  );
  if (!('view' in built)) throw new Error('sample row is implausible');
  return renderTemplates(loadTemplates(undefined), built.view).html;
}

const out = chromium ? mkdtempSync(join(tmpdir(), 'mu-email-shots-')) : '';
afterAll(() => {
  // Kept for a look when MU_KEEP_SCREENSHOTS is set; the path is printed below.
  if (out && process.env.MU_KEEP_SCREENSHOTS === undefined) rmSync(out, { recursive: true, force: true });
});

describe.skipIf(!chromium)(`the participant e-mail in headless Chromium${title}`, () => {
  const week = JSON.stringify(
    ['23', '24', '25', '26', '27', '28', '29'].map((d, i) => [`2026-11-${d}`, i === 3 ? 0 : 12, i === 3 ? 0 : 12]),
  );
  it.each([375, 800])('does not scroll sideways at %i px, with long names and two-digit counts', async (width) => {
    const page = join(out, `email-${width}.html`);
    writeFileSync(
      page,
      hostPage(html({ week_json: week, std_surveys_completed: 1234, std_surveys_expected: 1250 }), width),
    );
    const m = await measure(page, width);
    expect(m.innerWidth).toBe(width);
    expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
    const png = join(out, `email-${width}.png`);
    await screenshot(chromium!, pathToFileURL(page).href, Math.max(width + 40, 600), png);
    expect(statSync(png).size).toBeGreaterThan(1000);
    console.log(`screenshot: ${png}`);
  });

  it('the measurement can fail: a 600 px wide element scrolls at 375 px', async () => {
    const page = join(out, 'too-wide.html');
    writeFileSync(page, hostPage('<!DOCTYPE html><html><body><div style="width:600px">x</div></body></html>', 375));
    const m = await measure(page, 375);
    expect(m.innerWidth).toBe(375);
    expect(m.scrollWidth).toBeGreaterThan(m.innerWidth);
  });
});
