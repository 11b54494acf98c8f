import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPLETION_STYLE, OUTCOME_STYLE } from '../../../src/report/categories.js';
import { REPORT_FONT_FAMILY } from '../../../src/report/fonts.js';
import { REPORT_SCALE, type RenderedReport, renderReportPng } from '../../../src/report/render.js';
import { REPORT_WIDTH } from '../../../src/report/spec.js';
import { simulatedStudy } from '../../support/report-data.js';

/** A decoded PNG; colours packed as 0xRRGGBB (alpha is always opaque: the background is white). */
interface Pixels {
  width: number;
  height: number;
  at(x: number, y: number): number;
}

function decode(png: Buffer): Pixels {
  const { width, height, data } = PNG.sync.read(png);
  return {
    width,
    height,
    at: (x, y) => {
      const i = 4 * (y * width + x);
      return (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    },
  };
}

/** The text content of every <text> and <tspan>, unescaped. */
function textsOf(svg: string): string[] {
  return [...svg.matchAll(/<(?:text|tspan)[^>]*>([^<]+)</g)].map((m) =>
    m[1]!.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&amp;', '&'),
  );
}

const WHITE = 0xffffff;
const packed = (cssHex: string): number => Number.parseInt(cssHex.slice(1), 16);
/** Glyph ink: the title is #111111 and anti-aliased edges are lighter, so "dark" is generous. */
const isDark = (rgb: number): boolean => 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff) < 96;

/** Pixels in rows [top, bottom) (device pixels) for which `test` holds. */
function countPixels(p: Pixels, test: (rgb: number) => boolean, top = 0, bottom = p.height): number {
  let n = 0;
  for (let y = top; y < bottom; y++) for (let x = 0; x < p.width; x++) if (test(p.at(x, y))) n++;
  return n;
}

/** The title's line (CSS px 14..44 from the top, inside the padding and above the subtitle). */
const TITLE_ROWS: [number, number] = [14 * REPORT_SCALE, 44 * REPORT_SCALE];

const study = simulatedStudy({ participants: 300, days: 14, to: '2026-11-22', studyName: 'Sleep and Mood Study' });
let rendered: RenderedReport;
let pixels: Pixels;

beforeAll(async () => {
  rendered = await renderReportPng(study);
  pixels = decode(rendered.png);
  // To look at it: REPORT_SAMPLE_DIR=/tmp/somewhere npx vitest run test/unit/report (never into the repo).
  const dir = process.env.REPORT_SAMPLE_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.png'), rendered.png);
  }
});

describe('renderReportPng', () => {
  it('draws a PNG of a fixed, Slack-friendly size at twice the CSS size', () => {
    expect(rendered.width).toBe(REPORT_WIDTH * REPORT_SCALE);
    expect(pixels.width).toBe(rendered.width);
    expect(pixels.height).toBe(rendered.height);
    expect(rendered.height).toBe(1608);
    expect(rendered.svg).toMatch(new RegExp(`<svg[^>]* width="${REPORT_WIDTH}" height="${1608 / REPORT_SCALE}"`));
    expect(rendered.png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('is a picture, not a blank page: bars in every category colour that has counts', () => {
    const histogram = new Map<number, number>();
    for (let y = 0; y < pixels.height; y++)
      for (let x = 0; x < pixels.width; x++) {
        const rgb = pixels.at(x, y);
        histogram.set(rgb, (histogram.get(rgb) ?? 0) + 1);
      }
    const white = histogram.get(WHITE) ?? 0;
    expect(1 - white / (pixels.width * pixels.height)).toBeGreaterThan(0.3);
    const shown = [
      OUTCOME_STYLE.sent,
      OUTCOME_STYLE.skipped,
      OUTCOME_STYLE.optedOut,
      COMPLETION_STYLE.all,
      COMPLETION_STYLE.some,
      COMPLETION_STYLE.none,
    ];
    for (const style of shown) {
      expect(histogram.get(packed(style.color)) ?? 0, `${style.label} ${style.color}`).toBeGreaterThan(500);
    }
    expect(rendered.warnings).toEqual([]);
  });

  it('draws its text with the shipped font: the title row has glyphs, and they change with the title', async () => {
    const titleInk = countPixels(pixels, isDark, ...TITLE_ROWS);
    expect(titleInk).toBeGreaterThan(2000);

    const other = decode((await renderReportPng({ ...study, studyName: 'Heart Rhythm Trial 2' })).png);
    let differing = 0;
    for (let y = TITLE_ROWS[0]; y < TITLE_ROWS[1]; y++)
      for (let x = 0; x < pixels.width; x++) if (pixels.at(x, y) !== other.at(x, y)) differing++;
    expect(differing).toBeGreaterThan(1000);
    // Below the title the two pictures are the same, pixel for pixel.
    let below = 0;
    for (let y = TITLE_ROWS[1] + 8; y < pixels.height; y += 3)
      for (let x = 0; x < pixels.width; x += 3) if (pixels.at(x, y) !== other.at(x, y)) below++;
    expect(below).toBe(0);
  });

  it('would draw no text at all without the shipped font (what the check above guards against)', () => {
    const bare = new Resvg(rendered.svg, {
      fitTo: { mode: 'zoom', value: REPORT_SCALE },
      font: { fontFiles: [], loadSystemFonts: false, defaultFontFamily: REPORT_FONT_FAMILY },
      background: 'white',
    }).render();
    const fontless = decode(bare.asPng());
    expect(countPixels(fontless, isDark, ...TITLE_ROWS)).toBe(0);
  });

  it('carries the title, the dates, the axis labels and the totals as text in the SVG', () => {
    const texts = textsOf(rendered.svg);
    const sent = study.days.reduce((n, d) => n + d.messages.sent, 0);
    for (const expected of [
      'Sleep and Mood Study: e-mails and survey completion',
      'Mon 9 Nov – Sun 22 Nov 2026 · 14 days · counts only, no participant is named',
      'Messages per day, by outcome',
      "Participants' survey completion per day",
      'Over the period:',
      `Sent ${sent.toLocaleString('en-US')}`,
      '250',
    ])
      expect(texts, expected).toContain(expected);
    expect(texts.some((t) => t.startsWith('Unreachable '))).toBe(true);
    // Axis labels are two lines: weekday over date.
    expect(rendered.svg).toMatch(/<tspan[^>]*>Sat<\/tspan><tspan[^>]*>14 Nov<\/tspan>/);
    expect(rendered.svg.includes(`font-family="${REPORT_FONT_FAMILY}"`)).toBe(true);
  });

  it('labels only Mondays once the range is longer than three weeks', async () => {
    const long = await renderReportPng(simulatedStudy({ participants: 50, days: 56, to: '2026-11-22' }));
    const weekdays = [...long.svg.matchAll(/<tspan[^>]*>(Mon|Tue|Wed|Thu|Fri|Sat|Sun)<\/tspan>/g)].map((m) => m[1]);
    expect(weekdays.length).toBe(2 * 8);
    expect(new Set(weekdays)).toEqual(new Set(['Mon']));
    expect(long.width).toBe(REPORT_WIDTH * REPORT_SCALE);
  });

  it('draws an empty period as empty panels that say so, without Vega warnings', async () => {
    const empty = await renderReportPng({ from: '2026-11-09', to: '2026-11-22', days: [] });
    expect(empty.svg).toContain('Messages per day, by outcome: none in this period');
    expect(empty.warnings).toEqual([]);
    expect(empty.altText).toContain('No figures for Mon 9 Nov, Tue 10 Nov, Wed 11 Nov and 11 more.');
  });

  it('needs no canvas: the optional `canvas` package (a native build) is not installed', async () => {
    const optional = 'canvas';
    await expect(import(optional)).rejects.toThrow(/Cannot find (package|module) 'canvas'/);
  });

  it('refuses a malformed input with what to fix, before drawing anything', async () => {
    const day = study.days[0]!;
    await expect(
      renderReportPng({
        from: '2026-11-22',
        to: '2026-11-09',
        days: [{ ...day, messages: { ...day.messages, failed: -1 } }],
      }),
    ).rejects.toThrow(/from \(2026-11-22\) is after to \(2026-11-09\); swap them[\s\S]*messages\.failed is -1/);
  });
});
