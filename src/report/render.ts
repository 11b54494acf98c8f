/**
 * ReportData → PNG (plus the SVG it came from and its alt text): Vega-Lite → Vega → SVG →
 * resvg. No browser, no canvas, no native build on install (resvg ships prebuilt binaries).
 */
import { renderAsync } from '@resvg/resvg-js';
import { reportAltText } from './alt-text.js';
import { REPORT_FONT_FAMILY, reportFonts } from './fonts.js';
import { assertValidReportData, type ReportData, totalsOf } from './model.js';
import { buildReportSpec } from './spec.js';
import { vegaLiteToSvg } from './vega-svg.js';

/** Device pixels per CSS pixel: crisp on high-density screens when Slack shows it full size. */
export const REPORT_SCALE = 2;

export interface RenderedReport {
  png: Buffer;
  /** PNG size in pixels (REPORT_SCALE × the SVG's). */
  width: number;
  height: number;
  /** For files.uploadV2 `alt_text` (Slack allows 1000 characters). */
  altText: string;
  svg: string;
  warnings: string[];
}

export async function renderReportPng(data: ReportData): Promise<RenderedReport> {
  assertValidReportData(data);
  const totals = totalsOf(data);
  const fonts = reportFonts();
  const { svg, warnings } = await vegaLiteToSvg(buildReportSpec(data, totals), fonts.measure);
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: REPORT_SCALE },
    font: { fontFiles: fonts.files, loadSystemFonts: false, defaultFontFamily: REPORT_FONT_FAMILY },
    background: 'white',
  });
  return {
    png: image.asPng(),
    width: image.width,
    height: image.height,
    altText: reportAltText(data, totals),
    svg,
    warnings,
  };
}
