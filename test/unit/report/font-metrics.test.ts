/**
 * Vega lays out the legends by the widths our font reader reports; resvg then draws with its own
 * shaping. Both must agree, or legend labels overlap or drift apart.
 */
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { REPORT_FONT_FAMILY, reportFonts } from '../../../src/report/fonts.js';

const SIZE = 100;

/** Ink width resvg draws for `text` in the shipped font. */
function inkWidth(text: string, bold: boolean): number {
  const escaped = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="8000" height="200"><text x="10" y="150" font-family="${REPORT_FONT_FAMILY}" font-size="${SIZE}" font-weight="${bold ? 'bold' : 'normal'}">${escaped}</text></svg>`;
  const box = new Resvg(svg, {
    font: { fontFiles: reportFonts().files, loadSystemFonts: false, defaultFontFamily: REPORT_FONT_FAMILY },
  }).getBBox();
  if (!box) throw new Error(`resvg drew nothing for ${JSON.stringify(text)}`);
  return box.width;
}

describe('text widths from the font files', () => {
  it.each([
    ['Not sent: opted out 10,930', false],
    ['All surveys done 38%', false],
    ['Mon 28 Sep – Sun 22 Nov 2026 · 56 days', false],
    ["Participants' survey completion per day", true],
  ] as const)('%j (bold: %s) measures as resvg draws it', (text, bold) => {
    // Between two H's the side bearings cancel out: ink("H…H") - ink("HH") = advance of the text.
    const drawn = inkWidth(`H${text}H`, bold) - inkWidth('HH', bold);
    const measured = reportFonts().measure(text, SIZE, bold);
    expect(Math.abs(measured - drawn) / drawn).toBeLessThan(0.01);
  });

  it('knows bold is wider than regular', () => {
    const { measure } = reportFonts();
    expect(measure('Sent 3,993', 13, true)).toBeGreaterThan(measure('Sent 3,993', 13, false) * 1.05);
  });
});
